import {
  deserializeKpiState,
  finalizeKpis,
  type KpiItem,
  type KpiState,
  mergeKpiStateInto,
  PipelineError,
  type SongsTable,
  serializeKpiState,
} from '@streamkpi/core';
import { allSettledOrThrow } from './internal/all-settled.js';
import { childSignal } from './internal/child-signal.js';
import { dictionariesOf, storeStateDictionaries } from './internal/state-dictionaries.js';
import type { PartialStore } from './partial-store.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  itemFingerprint,
  type Snapshot,
  setIdOf,
} from './snapshot.js';
import type { DateHead, StateTable } from './state-table.js';

/** A durable partial of the date to fold in; `bytes` saves its GET when the caller holds them. */
export interface PendingPartial {
  readonly objectId: string;
  readonly bytes?: Uint8Array;
}

/** What {@link commitDate} needs. */
export interface CommitDateOptions {
  readonly store: PartialStore;
  /** Head records of the dates (`createStateTable`). */
  readonly heads: StateTable;
  /**
   * Partials stored for this date that must be in the table when the call
   * resolves (already covered ones cost nothing). Empty: only make sure the
   * current head's items are all written.
   */
  readonly pending: readonly PendingPartial[];
  /**
   * Writes each item unless the table already holds that key at an equal or
   * newer `version` (single-item conditional PutItem: DynamoDB's
   * BatchWriteItem cannot carry conditions).
   */
  readonly putItemsIfNewer: (
    items: readonly VersionedKpiItem[],
    signal?: AbortSignal,
  ) => Promise<{ readonly written: number; readonly stale: number }>;
  /**
   * The run's songs table: states are read bound to its track dictionary
   * and merge without string work (same result without it, only slower).
   */
  readonly songs?: SongsTable;
  /**
   * How snapshots are serialized: `'reference'` stores them (when read bound
   * to `songs`) as format v2, referencing the stored track dictionary of
   * `songs` (made durable before the snapshot). Default `'inline'` (v1).
   */
  readonly trackDictionary?: 'inline' | 'reference';
  /**
   * Reads, merges and serializes states elsewhere (e.g. an aggregate pool's
   * `merge` with `result: 'serialized'`, on its threads), with `finalize`
   * also returning the merge's KPI items. Called with up to
   * {@link MERGE_CHUNK} states at a time: the merge so far and the next
   * partials, serialized as `trackDictionary` says, with the stored track
   * dictionaries that states of other songs tables reference. Default: on
   * this thread.
   */
  readonly merge?: (
    states: readonly Uint8Array[],
    options: {
      readonly finalize: boolean;
      readonly trackDictionary?: 'inline' | 'reference';
      readonly dictionaries?: ReadonlyMap<string, Uint8Array>;
      readonly signal?: AbortSignal;
    },
  ) => Promise<MergedStates>;
  /** Head swaps lost to other workers before giving up (`COMMIT_CONTENDED`). Default 100. */
  readonly maxAttempts?: number;
  readonly signal?: AbortSignal;
  /** Clock for `updated_at`; injectable for tests. */
  readonly now?: () => Date;
}

/** States merged by {@link CommitDateOptions.merge}: the merge's bytes, and its items when finalized. */
export interface MergedStates {
  /** `serializeKpiState` of the merged state. */
  readonly bytes: Uint8Array;
  /** `finalizeKpis` of the merged state (without `updated_at`); empty unless finalized. */
  readonly items: readonly KpiItem[];
}

/** A KPI item with the commit bookkeeping written next to it. */
export type VersionedKpiItem = KpiItem & { readonly version: number; readonly updated_at: string };

/** Outcome of committing one date. */
export interface CommitDateResult {
  readonly date: string;
  /** Number of partials merged into the date's current snapshot: the commit version. */
  readonly version: number;
  readonly itemsWritten: number;
  /** Items skipped because the table already held them at this or a newer version. */
  readonly itemsStale: number;
  /** Partials folded in by this call (0: everything pending was committed already). */
  readonly partialsMerged: number;
}

/** States handed to one `merge` call at most (bounds the bytes held at once). */
export const MERGE_CHUNK = 16;

/**
 * Folds the pending partials of one date into its snapshot and writes the
 * items that changed, at a cost independent of how many partials the date
 * already holds: read the head record, GET its snapshot, merge the pending
 * partials not in it, PUT the new snapshot, swap the head (conditional on
 * its version: a worker that loses re-reads and tries again), write the
 * changed items conditional on the new version, mark the head written.
 * The first commit of a date lists its partials instead (there is no
 * snapshot yet). See the package README, "Exactly-once protocol".
 */
export async function commitDate(
  date: string,
  options: CommitDateOptions,
): Promise<CommitDateResult> {
  const { store, heads, signal } = options;
  const maxAttempts = options.maxAttempts ?? 100;
  let written = 0;
  let stale = 0;
  let missingSeen = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    signal?.throwIfAborted();
    const head = await heads.getHead(date, signal);
    let base: Snapshot | undefined;
    let todo: PendingPartial[];
    if (head === undefined) {
      // First commit of the date: every stored partial (LIST is strongly consistent).
      if (options.pending.length === 0) {
        return { date, version: 0, itemsWritten: 0, itemsStale: 0, partialsMerged: 0 };
      }
      const held = new Map(options.pending.map((p) => [p.objectId, p]));
      for (const p of await store.listPartials(date, signal)) {
        if (!held.has(p.objectId)) held.set(p.objectId, { objectId: p.objectId });
      }
      todo = [...held.values()];
    } else {
      const bytes = await store.getSnapshot(head.snapshot, signal);
      // Gone: retention removed a snapshot that is no longer the head; read the head again.
      if (bytes === undefined) continue;
      base = decodeSnapshot(bytes, head.snapshot);
      if (head.written < head.version) {
        // The head's committer stopped before writing every changed item: finish for it.
        const r = await writeItems(base.header, head.version, options);
        written += r.written;
        stale += r.stale;
        await heads.markWritten(date, head.version, signal);
      }
      const covered = new Set(base.header.objects);
      todo = options.pending.filter((p) => !covered.has(p.objectId));
      if (todo.length === 0) {
        return {
          date,
          version: head.version,
          itemsWritten: written,
          itemsStale: stale,
          partialsMerged: 0,
        };
      }
    }
    let merged: MergedStates;
    try {
      merged = await mergeStates(base, todo, date, options);
    } catch (error) {
      // A pending partial removed by retention is covered by a newer head: read it again (once).
      if (!(error instanceof PipelineError && error.code === 'STATE_MISSING') || missingSeen)
        throw error;
      missingSeen = true;
      continue;
    }
    const objects = [...(base?.header.objects ?? []), ...todo.map((p) => p.objectId)].sort();
    const version = objects.length;
    const { items } = merged;
    const before = new Map(
      (base?.header.items ?? []).map((item) => [item.track_genre, itemFingerprint(item)]),
    );
    const changed = items
      .filter((item) => before.get(item.track_genre) !== itemFingerprint(item))
      .map((item) => item.track_genre);
    const header = { date, version, objects, items, changed };
    // Named by version, base version and set: one name, one content (equal `changed` too).
    const key = store.snapshotKey(date, version, `${head?.version ?? 0}-${setIdOf(objects)}`);
    await storeStateDictionaries(store, options.songs, [merged], signal);
    await store.putSnapshot(key, encodeSnapshot({ header, state: merged.bytes }), signal);
    const next: DateHead = {
      date,
      version,
      snapshot: key,
      written: head?.version ?? 0,
      committedAt: (options.now?.() ?? new Date()).toISOString(),
    };
    if (!(await heads.swapHead(next, head?.version, signal))) continue;
    const r = await writeItems(header, version, options);
    await heads.markWritten(date, version, signal);
    return {
      date,
      version,
      itemsWritten: written + r.written,
      itemsStale: stale + r.stale,
      partialsMerged: todo.length,
    };
  }
  throw new PipelineError(
    'COMMIT_CONTENDED',
    `Committing ${date}: the head moved under ${maxAttempts} attempts in a row; run again`,
  );
}

/** Writes the items of `header.changed` at `version`. */
async function writeItems(
  header: Snapshot['header'],
  version: number,
  options: CommitDateOptions,
): Promise<{ written: number; stale: number }> {
  const changed = new Set(header.changed);
  const updatedAt = (options.now?.() ?? new Date()).toISOString();
  const items = header.items
    .filter((item) => changed.has(item.track_genre))
    .map((item): VersionedKpiItem => ({ ...item, version, updated_at: updatedAt }));
  if (items.length === 0) return { written: 0, stale: 0 };
  return options.putItemsIfNewer(items, options.signal);
}

/**
 * The base snapshot's state merged with the pending partials' states, as
 * bytes and items: the merge so far goes into the next call with up to
 * `MERGE_CHUNK - 1` partials, so at most `MERGE_CHUNK` states are held.
 */
async function mergeStates(
  base: Snapshot | undefined,
  todo: readonly PendingPartial[],
  date: string,
  options: CommitDateOptions,
): Promise<MergedStates> {
  const { store, signal } = options;
  // Up to MERGE_CHUNK reads at once: each with its own signal (see childSignal).
  const bytesOf = async (p: PendingPartial) =>
    p.bytes ?? (await store.getPartial(store.partialOf(date, p.objectId), childSignal(signal)));
  const merge = options.merge ?? mergeHere(options.songs);
  let sofar = base?.state;
  for (let i = 0; ; ) {
    const take = MERGE_CHUNK - (sofar === undefined ? 0 : 1);
    const chunk = await allSettledOrThrow(todo.slice(i, i + take).map(bytesOf));
    i += take;
    const last = i >= todo.length;
    const states = sofar === undefined ? chunk : [sofar, ...chunk];
    const dictionaries = await dictionariesOf(store, options.songs, states, signal);
    const merged = await merge(states, {
      finalize: last,
      ...(options.trackDictionary === undefined
        ? {}
        : { trackDictionary: options.trackDictionary }),
      ...(dictionaries === undefined ? {} : { dictionaries }),
      ...(signal ? { signal } : {}),
    });
    if (last) return merged;
    sofar = merged.bytes;
  }
}

/** {@link CommitDateOptions.merge} on this thread, states read bound to `songs` when given. */
function mergeHere(songs: SongsTable | undefined): NonNullable<CommitDateOptions['merge']> {
  return async (states, { finalize, trackDictionary, dictionaries }) => {
    const read = {
      ...(songs === undefined ? {} : { songs }),
      ...(dictionaries === undefined ? {} : { dictionaries }),
    };
    let merged: KpiState | undefined;
    for (const bytes of states) {
      const state = deserializeKpiState(bytes, read);
      if (merged === undefined) merged = state;
      else mergeKpiStateInto(merged, state);
    }
    if (merged === undefined) throw new TypeError('commitDate: a merge without states');
    const bytes = serializeKpiState(
      merged,
      trackDictionary === undefined ? {} : { trackDictionary },
    );
    return { bytes, items: finalize ? finalizeKpis(merged) : [] };
  };
}
