/**
 * State retention: removes the S3 state that no commit needs any more —
 * partials folded into a date's current snapshot, and snapshots the head no
 * longer points at — once they are older than a grace period. Results never
 * change: a commit reads only the head's snapshot and the partials not in it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { bucketSchema, parseOptions, prefixSchema, tableNameSchema } from './internal/options.js';
import { createPartialStore } from './partial-store.js';
import { decodeSnapshot } from './snapshot.js';
import { createStateTable } from './state-table.js';

/** Options of {@link pruneState}. */
export const pruneStateOptionsSchema = z.object({
  /** Bucket of the state (as given to `runKpis`). */
  bucket: bucketSchema,
  /** Prefix above the dataset folders. Default `''`. */
  prefix: prefixSchema.default(''),
  /** Prefix of durable state below `prefix`. Default `state/`. */
  statePrefix: prefixSchema.default('state/'),
  /** The KPI table; names the default state table. */
  tableName: tableNameSchema,
  /** State table. Default `<tableName>-state`. */
  stateTableName: tableNameSchema.optional(),
  /**
   * Only objects last modified at least this long ago (ms) are removed, so a
   * commit that read an older head while this runs does not lose what it
   * is reading. Default 86400000 (one day).
   */
  graceMs: z.number().int().min(0).default(86_400_000),
  /** Only these dates (`YYYY-MM-DD`). Default: every date with partials. */
  dates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
});

/** Options of {@link pruneState}. */
export type PruneStateOptions = z.input<typeof pruneStateOptionsSchema> & {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly signal?: AbortSignal;
  /** Clock of the grace period; injectable for tests. */
  readonly now?: () => Date;
};

/** What {@link pruneState} removed. */
export interface PruneStateResult {
  readonly dates: number;
  readonly partialsDeleted: number;
  readonly snapshotsDeleted: number;
}

/**
 * Deletes, for each date, the partials its current snapshot covers and the
 * snapshots other than the current one, when older than `graceMs`.
 * Manifests (`state/objects/`, one small object per stream object) and the
 * head records are kept: they let a late duplicate event be recognised.
 * Safe to run while workers commit.
 */
export async function pruneState(options: PruneStateOptions): Promise<PruneStateResult> {
  const { s3, dynamo, signal, now, ...rest } = options;
  const o = parseOptions(pruneStateOptionsSchema, rest, 'pruneState');
  const state = o.prefix + o.statePrefix;
  const store = createPartialStore({ client: s3, bucket: o.bucket, prefix: state });
  const heads = createStateTable({
    client: dynamo,
    tableName: o.stateTableName ?? `${o.tableName}-state`,
    scope: `s3://${o.bucket}/${state}`,
  });
  const cutoff = (now?.() ?? new Date()).getTime() - o.graceMs;
  const old = (d: Date | undefined) => d !== undefined && d.getTime() <= cutoff;
  let partialsDeleted = 0;
  let snapshotsDeleted = 0;
  const dates = o.dates ?? (await store.listDates(signal));
  for (const date of dates) {
    signal?.throwIfAborted();
    const head = await heads.getHead(date, signal);
    if (head === undefined) continue;
    const bytes = await store.getSnapshot(head.snapshot, signal);
    if (bytes === undefined) continue;
    const covered = new Set(decodeSnapshot(bytes, head.snapshot).header.objects);
    for (const p of await store.listDateObjects('partials', date, signal)) {
      const id = p.key.slice(p.key.lastIndexOf('/') + 1, -'.kpis'.length);
      if (covered.has(id) && old(p.lastModified)) {
        await store.deleteObject(p.key, signal);
        partialsDeleted++;
      }
    }
    for (const s of await store.listDateObjects('snapshots', date, signal)) {
      if (s.key !== head.snapshot && old(s.lastModified)) {
        await store.deleteObject(s.key, signal);
        snapshotsDeleted++;
      }
    }
  }
  return { dates: dates.length, partialsDeleted, snapshotsDeleted };
}
