import {
  deserializeKpiState,
  finalizeKpis,
  type KpiItem,
  type KpiState,
  mergeKpiStateInto,
  type SongsTable,
} from '@streamkpi/core';
import pLimit from 'p-limit';
import type { PartialStore, StoredPartial } from './partial-store.js';

/** What {@link commitDate} needs. */
export interface CommitDateOptions {
  readonly store: PartialStore;
  /**
   * Writes each item unless the table already holds that key at an equal or
   * newer `version` (single-item conditional PutItem: DynamoDB's
   * BatchWriteItem cannot carry conditions).
   */
  readonly putItemsIfNewer: (
    items: readonly VersionedKpiItem[],
    signal?: AbortSignal,
  ) => Promise<{ readonly written: number; readonly stale: number }>;
  /** How many partials are fetched at once. Default 8. */
  readonly readConcurrency?: number;
  /**
   * The run's songs table: partials are read bound to its track dictionary
   * and merge without string work (same result without it, only slower).
   */
  readonly songs?: SongsTable;
  /**
   * Reads and merges serialized partials elsewhere (e.g. an aggregate pool's
   * `merge`, on its threads); the result must be owned by the caller. Called
   * with up to {@link MERGE_CHUNK} partials at a time; the chunks' states
   * are folded here. Default: read and merge on this thread.
   */
  readonly merge?: (states: readonly Uint8Array[], signal?: AbortSignal) => Promise<KpiState>;
  readonly signal?: AbortSignal;
  /** Clock for `updated_at`; injectable for tests. */
  readonly now?: () => Date;
}

/** A KPI item with the commit bookkeeping written next to it. */
export type VersionedKpiItem = KpiItem & { readonly version: number; readonly updated_at: string };

/** Outcome of committing one date. */
export interface CommitDateResult {
  readonly date: string;
  /** Number of partials merged: the commit version. */
  readonly version: number;
  readonly itemsWritten: number;
  /** Items skipped because the table already held them at this or a newer version. */
  readonly itemsStale: number;
}

/**
 * Recomputes one date from all its durable partials and writes the final
 * items, each conditional on being newer than what the table holds, so the
 * table converges to the result over every partial ever stored whatever the
 * interleaving of workers (package README, "Exactly-once protocol").
 */
export async function commitDate(
  date: string,
  options: CommitDateOptions,
): Promise<CommitDateResult> {
  const limit = pLimit(options.readConcurrency ?? 8);
  const { signal } = options;
  signal?.throwIfAborted();
  const partials = await options.store.listPartials(date, signal);
  const version = partials.length;
  if (version === 0) return { date, version, itemsWritten: 0, itemsStale: 0 };
  const read = options.songs === undefined ? {} : { songs: options.songs };
  if (options.merge !== undefined) {
    const merged = await mergeElsewhere(partials, options.merge, limit, options);
    return write(date, version, merged, options);
  }
  // Each partial is folded in as it arrives (merging is commutative): only
  // the accumulator and the partials in flight are held.
  let merged: KpiState | undefined;
  await Promise.all(
    partials.map((p) =>
      limit(async () => {
        const state = deserializeKpiState(await options.store.getPartial(p, signal), read);
        if (merged === undefined) merged = state;
        else mergeKpiStateInto(merged, state);
      }),
    ),
  );
  return write(date, version, merged as KpiState, options);
}

/** Partials handed to one `merge` call at most (bounds the bytes held at once). */
export const MERGE_CHUNK = 16;

async function mergeElsewhere(
  partials: readonly StoredPartial[],
  merge: NonNullable<CommitDateOptions['merge']>,
  limit: ReturnType<typeof pLimit>,
  options: CommitDateOptions,
): Promise<KpiState> {
  const { signal } = options;
  const chunks: (readonly StoredPartial[])[] = [];
  for (let i = 0; i < partials.length; i += MERGE_CHUNK) {
    chunks.push(partials.slice(i, i + MERGE_CHUNK));
  }
  let merged: KpiState | undefined;
  // Two chunks at a time: one being read while the other merges.
  const chunkLimit = pLimit(2);
  await Promise.all(
    chunks.map((chunk) =>
      chunkLimit(async () => {
        const bytes = await Promise.all(
          chunk.map((p) => limit(() => options.store.getPartial(p, signal))),
        );
        const state = await merge(bytes, signal);
        if (merged === undefined) merged = state;
        else mergeKpiStateInto(merged, state);
      }),
    ),
  );
  return merged as KpiState;
}

async function write(
  date: string,
  version: number,
  merged: KpiState,
  options: CommitDateOptions,
): Promise<CommitDateResult> {
  const { signal } = options;
  const updatedAt = (options.now?.() ?? new Date()).toISOString();
  const items = finalizeKpis(merged).map(
    (item): VersionedKpiItem => ({ ...item, version, updated_at: updatedAt }),
  );
  const { written, stale } = await options.putItemsIfNewer(items, signal);
  return { date, version, itemsWritten: written, itemsStale: stale };
}
