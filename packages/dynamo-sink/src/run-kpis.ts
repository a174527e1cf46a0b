/**
 * The whole flow for a bucket/prefix (SPEC sections 6–8): reference data →
 * every stream object to durable per-date partials → recompute and commit
 * each affected date → archive. Safe to run again at any point, from several
 * workers at once; see the package README, "Exactly-once protocol".
 */

import { availableParallelism } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type AggregatePool,
  aggregateStreamFile,
  createAggregatePool,
  type DatePartial,
  HeaderError,
  type KpiState,
  PipelineError,
  type ReferenceFile,
  type ReferenceFilesOptions,
  RunMetrics,
  type RunSummary,
  type SongsTable,
  type SongsTableStats,
  type SourceCounts,
  serializeKpiStateByDate,
  songsTableFromFiles,
  type UsersTable,
  type UsersTableStats,
  usersTableFromFiles,
} from '@streamkpi/core';
import {
  archiveObject,
  listObjects,
  openObject,
  processObjects,
  rejectObject,
  S3_WORKER_FILE,
  type S3ObjectInfo,
  S3SourceError,
  type S3WorkerClientConfig,
  type S3WorkerInput,
  s3DeadLetter,
  sourceRefOf,
  workerClientConfig,
} from '@streamkpi/s3-source';
import pLimit from 'p-limit';
import { z } from 'zod';
import { type CommitDateResult, commitDate } from './commit-date.js';
import { ensureKpiTable } from './ensure-kpi-table.js';
import { parseOptions } from './internal/options.js';
import { createPartialStore, type PartialStore } from './partial-store.js';
import { putItemsIfNewer } from './put-item-if-newer.js';

const prefix = z.string().refine((p) => p === '' || p.endsWith('/'), {
  message: "Expected a prefix that is '' or ends with '/'",
});

/** Options of {@link runKpis}. */
export const runKpisOptionsSchema = z.object({
  /** Bucket with `songs/`, `users/` and `streams/` below `prefix`. */
  bucket: z.string().min(3).max(63),
  /** Prefix above the dataset folders. Default `''`. */
  prefix: prefix.default(''),
  /** KPI table. */
  tableName: z.string().min(3).max(255),
  /** Create the table when missing. Default `true`. */
  createTable: z.boolean().default(true),
  /** Bucket for archived stream objects. Default: `bucket`. */
  archiveBucket: z.string().min(3).max(63).optional(),
  /** Prefix for archived stream objects (below `prefix`). Default `archive/`. */
  archivePrefix: prefix.default('archive/'),
  /** Prefix of durable state (below `prefix`). Default `state/`. */
  statePrefix: prefix.default('state/'),
  /** Prefix of dead-letter objects (below `prefix`). Default `dead-letter/`. */
  deadLetterPrefix: prefix.default('dead-letter/'),
  /** Prefix of rejected files (below `prefix`). Default `rejected/`. */
  rejectedPrefix: prefix.default('rejected/'),
  /** IANA zone of the KPI date. Default `UTC`. */
  timeZone: z.string().default('UTC'),
  /** IANA zone of zone-less `listen_time`s. Default `UTC`. */
  sourceTimeZone: z.string().default('UTC'),
  /**
   * Unique listeners: `'exact'` (default) or `'hll'` (HyperLogLog, ≈1.6 %
   * standard error, constant memory per date × genre). Every run over the
   * same state prefix must use the same mode: partials of different modes do
   * not merge.
   */
  uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
  /** Stream objects read at once. Default 2. */
  concurrency: z.number().int().min(1).max(64).default(2),
  /**
   * Worker threads that read, parse and aggregate stream objects (each with
   * its own S3 client built from the injected client's settings); `0` does
   * it all on the calling thread. Default: one per core when listing
   * `streams/`, `0` with `keys` (event-driven runs of one or a few objects).
   */
  threads: z.number().int().min(0).max(256).optional(),
  /** Only these stream keys (full keys), instead of listing `streams/` — for event-driven runs. */
  keys: z.array(z.string().min(1)).optional(),
});

/** What happened to one stream object. */
export interface ObjectOutcome {
  readonly key: string;
  readonly etag: string;
  /**
   * `processed`: read and committed now; `skipped`: committed earlier (its
   * dates are re-committed and it is archived); `rejected`: header check
   * failed, moved to `rejected/`; `failed`: left in place, see `error`.
   */
  readonly status: 'processed' | 'skipped' | 'rejected' | 'failed';
  readonly dates: readonly string[];
  readonly archived: boolean;
  readonly error?: unknown;
}

/** Options of {@link runKpis}. */
export type RunKpisOptions = z.input<typeof runKpisOptionsSchema> & {
  /** Injected S3 client. */
  readonly s3: S3Client;
  /** Injected DynamoDB client (set `maxAttempts: 1` to leave retries to the writer). */
  readonly dynamo: DynamoDBClient;
  /** Called for every failure (failed object, failed date) — e.g. to post an alert. */
  readonly onError?: (
    error: unknown,
    context: { readonly key?: string; readonly date?: string },
  ) => void | Promise<void>;
  /** Called as each stream object is done (progress). */
  readonly onObject?: (outcome: ObjectOutcome) => void;
  readonly signal?: AbortSignal;
};

/** The summary of a run (SPEC section 8). */
export interface RunKpisSummary {
  /** Stream rows: `rowsRead === rowsAggregated + rowsRejected`. */
  readonly streams: RunSummary;
  /** Reference data rows read and rejected. */
  readonly reference: { readonly songs: RunSummary; readonly users: RunSummary };
  /** Sizes of the lookup tables built from the reference data. */
  readonly tables: { readonly songs: SongsTableStats; readonly users: UsersTableStats | undefined };
  readonly objects: {
    readonly processed: number;
    readonly skipped: number;
    readonly rejected: number;
    readonly failed: number;
    readonly archived: number;
  };
  readonly outcomes: readonly ObjectOutcome[];
  readonly dates: readonly CommitDateResult[];
  readonly itemsWritten: number;
  readonly itemsStale: number;
  readonly durationMs: number;
  readonly peakRssBytes: number;
  /** False when any object or date failed. */
  readonly ok: boolean;
}

/**
 * Runs the pipeline once over `bucket/prefix`. Never throws for a bad object
 * or date: those are reported in the summary (and to `onError`) and left to a
 * later run; throws for bad options, missing reference data or an abort.
 */
export async function runKpis(options: RunKpisOptions): Promise<RunKpisSummary> {
  const { s3, dynamo, onError, onObject, signal, ...rest } = options;
  const o = parseOptions(runKpisOptionsSchema, rest, 'runKpis');
  const started = performance.now();
  const root = o.prefix;
  const store = createPartialStore({ client: s3, bucket: o.bucket, prefix: root + o.statePrefix });
  const deadLetterPrefix = root + o.deadLetterPrefix;

  if (o.createTable)
    await ensureKpiTable({ client: dynamo, tableName: o.tableName, ...(signal ? { signal } : {}) });

  const songsMetrics = new RunMetrics();
  const usersMetrics = new RunMetrics();
  const songs = await loadSongs(
    s3,
    o.bucket,
    `${root}songs/`,
    deadLetterPrefix,
    songsMetrics,
    signal,
  );
  const users = await loadUsers(
    s3,
    o.bucket,
    `${root}users/`,
    deadLetterPrefix,
    usersMetrics,
    signal,
  );
  songsMetrics.stop();
  usersMetrics.stop();

  const metrics = new RunMetrics();
  const outcomes: ObjectOutcome[] = [];
  const streamsPrefix = `${root}streams/`;
  const objects: AsyncIterable<S3ObjectInfo> | Iterable<S3ObjectInfo> =
    o.keys === undefined
      ? listObjects({
          client: s3,
          bucket: o.bucket,
          prefix: streamsPrefix,
          ...(signal ? { signal } : {}),
        })
      : headless(o.bucket, o.keys);

  const report = async (error: unknown, context: { key?: string; date?: string }) => {
    if (onError) await onError(error, context);
  };

  const threads = o.threads ?? (o.keys === undefined ? availableParallelism() : 0);
  const pool =
    threads > 0
      ? createAggregatePool({
          songs,
          ...(users ? { users } : {}),
          threads,
          timeZone: o.timeZone,
          sourceTimeZone: o.sourceTimeZone,
          uniqueListeners: o.uniqueListeners,
          workerFile: S3_WORKER_FILE,
        })
      : undefined;
  const workerClient = pool === undefined ? undefined : await workerClientConfig(s3);
  try {
    for await (const outcome of processObjects({
      objects,
      // Keep every thread busy: one object more than threads waits in the
      // pool's queue, so a thread starts its next object while this thread
      // stores the last one's partials and archives it.
      concurrency: Math.max(o.concurrency, threads === 0 ? 0 : threads + 1),
      ...(signal ? { signal } : {}),
      process: (object) =>
        processObject(object, {
          s3,
          bucket: o.bucket,
          archiveBucket: o.archiveBucket ?? o.bucket,
          archivePrefix: root + o.archivePrefix,
          store,
          songs,
          users,
          metrics,
          deadLetterPrefix,
          rejectedPrefix: root + o.rejectedPrefix,
          streamsPrefix,
          timeZone: o.timeZone,
          sourceTimeZone: o.sourceTimeZone,
          uniqueListeners: o.uniqueListeners,
          signal,
          ...(pool && workerClient ? { pool, workerClient } : {}),
        }),
    })) {
      if (outcome.ok) {
        outcomes.push(outcome.value);
      } else {
        const failed: ObjectOutcome = {
          key: outcome.object.key,
          etag: outcome.object.etag,
          status: 'failed',
          dates: [],
          archived: false,
          error: outcome.error,
        };
        outcomes.push(failed);
        onObject?.(failed);
        await report(outcome.error, { key: outcome.object.key });
      }
    }
  } catch (error) {
    await pool?.close();
    throw error;
  }

  // Commit every affected date once, from all its partials.
  const dates = [
    ...new Set(
      outcomes.flatMap((x) => (x.status === 'processed' || x.status === 'skipped' ? x.dates : [])),
    ),
  ].sort();
  const committed: CommitDateResult[] = [];
  const failedDates = new Set<string>();
  const limit = pLimit(4);
  try {
    signal?.throwIfAborted();
    await Promise.all(
      dates.map((date) =>
        limit(async () => {
          try {
            committed.push(
              await commitDate(date, {
                store,
                songs,
                // Reading and merging partials is string work: on the pool's
                // threads when there are any.
                ...(pool === undefined
                  ? {}
                  : { merge: (states, s) => pool.merge(states, s ? { signal: s } : {}) }),
                ...(signal ? { signal } : {}),
                putItemsIfNewer: async (items, s) => {
                  const version = items[0]?.version ?? 0;
                  const r = await putItemsIfNewer({
                    client: dynamo,
                    tableName: o.tableName,
                    items: [...items],
                    version,
                    ...(s ? { signal: s } : {}),
                  });
                  return { written: r.written, stale: r.stale };
                },
              }),
            );
          } catch (error) {
            failedDates.add(date);
            await report(error, { date });
          }
        }),
      ),
    );
  } finally {
    // The threads also merged the partials of the commits.
    await pool?.close();
  }
  committed.sort((a, b) => (a.date < b.date ? -1 : 1));
  signal?.throwIfAborted();

  // Archive last: only objects whose every date is committed. Archives are
  // independent copies and deletes: a few run at once.
  const archiveLimit = pLimit(4);
  const final: ObjectOutcome[] = await Promise.all(
    outcomes.map((x) =>
      archiveLimit(async (): Promise<ObjectOutcome> => {
        let done: ObjectOutcome = x;
        if (
          (x.status === 'processed' || x.status === 'skipped') &&
          !x.dates.some((d) => failedDates.has(d))
        ) {
          try {
            await archiveObject({
              client: s3,
              bucket: o.bucket,
              key: x.key,
              etag: x.etag,
              sourcePrefix: streamsPrefix,
              archivePrefix: root + o.archivePrefix,
              ...(o.archiveBucket ? { archiveBucket: o.archiveBucket } : {}),
              ...(signal ? { signal } : {}),
            });
            done = { ...x, archived: true };
          } catch (error) {
            done = { ...x, archived: false, error };
            await report(error, { key: x.key });
          }
        }
        onObject?.(done);
        return done;
      }),
    ),
  );
  metrics.stop();

  const count = (s: ObjectOutcome['status']) => final.filter((x) => x.status === s).length;
  const streams = metrics.summary();
  return {
    streams,
    reference: { songs: songsMetrics.summary(), users: usersMetrics.summary() },
    tables: { songs: songs.stats, users: users?.stats },
    objects: {
      processed: count('processed'),
      skipped: count('skipped'),
      rejected: count('rejected'),
      failed: count('failed'),
      archived: final.filter((x) => x.archived).length,
    },
    outcomes: final,
    dates: committed,
    itemsWritten: committed.reduce((n, d) => n + d.itemsWritten, 0),
    itemsStale: committed.reduce((n, d) => n + d.itemsStale, 0),
    durationMs: performance.now() - started,
    peakRssBytes: Math.max(
      streams.peakRssBytes,
      songsMetrics.peakRssBytes,
      process.memoryUsage.rss(),
    ),
    ok:
      failedDates.size === 0 && !final.some((x) => x.status === 'failed' || x.error !== undefined),
  };
}

interface ProcessContext {
  readonly s3: S3Client;
  /** Source bucket (objects are identified by bucket, key and ETag). */
  readonly bucket: string;
  readonly archiveBucket: string;
  /** Full archive prefix (root included). */
  readonly archivePrefix: string;
  readonly store: PartialStore;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly metrics: RunMetrics;
  readonly deadLetterPrefix: string;
  readonly rejectedPrefix: string;
  readonly streamsPrefix: string;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners: 'exact' | 'hll';
  readonly signal: AbortSignal | undefined;
  /** When set, objects are read and aggregated on its threads. */
  readonly pool?: AggregatePool;
  readonly workerClient?: S3WorkerClientConfig;
}

/** Steps 1–3 of the protocol for one object: partials, then the manifest. */
async function processObject(object: S3ObjectInfo, c: ProcessContext): Promise<ObjectOutcome> {
  const { s3, store, signal } = c;
  const sig = signal ? { signal } : {};
  // Listed with its ETag: committed already (an earlier run, another worker)? Then not read again.
  if (object.etag) {
    const done = await committedOutcome(object.key, object.etag, c);
    if (done !== undefined) return done;
  }
  // On the calling thread the object is opened here; on a pool thread it is
  // opened there, pinned to the ETag known here (HEAD for announced keys).
  let opened: Awaited<ReturnType<typeof openObject>> | undefined;
  let etag: string;
  try {
    if (c.pool === undefined) {
      opened = await openObject({
        client: s3,
        bucket: object.bucket,
        key: object.key,
        ...(object.etag ? { etag: object.etag } : {}),
        ...sig,
      });
      etag = opened.etag;
    } else {
      etag = object.etag || (await currentEtag(object.key, c));
    }
  } catch (error) {
    // Gone since it was listed or announced: another worker (or an earlier run)
    // committed and archived it — a duplicate event. Done, not failed.
    if (!(error instanceof S3SourceError && error.code === 'SOURCE_MISSING')) throw error;
    const archived = object.etag || (await archivedEtag(object.key, c));
    const done =
      archived === undefined ? undefined : await committedOutcome(object.key, archived, c);
    if (done !== undefined) return done;
    throw error;
  }
  const objectId = store.objectIdOf(object.bucket, object.key, etag);
  // (A listed object's manifest was looked up above; re-reading a just-committed one is harmless.)
  const manifest = object.etag ? undefined : await store.getManifest(objectId, signal);
  if (manifest !== undefined) {
    opened?.body.destroy();
    return { key: object.key, etag, status: 'skipped', dates: manifest.dates, archived: false };
  }
  const source = opened?.source ?? sourceRefOf({ bucket: object.bucket, key: object.key, etag });
  const deadLetter = s3DeadLetter({
    client: s3,
    bucket: object.bucket,
    prefix: c.deadLetterPrefix,
    source,
    ...sig,
  });
  // A pool thread returns the per-date partial bytes itself (the same bytes
  // as `serializeKpiStateByDate(state)` here).
  let result:
    | { readonly state: KpiState; readonly counts: SourceCounts }
    | { readonly partials: readonly DatePartial[]; readonly counts: SourceCounts };
  try {
    if (opened !== undefined) {
      result = await aggregateStreamFile(opened.body, {
        source,
        songs: c.songs,
        ...(c.users ? { users: c.users } : {}),
        deadLetter,
        metrics: c.metrics,
        timeZone: c.timeZone,
        sourceTimeZone: c.sourceTimeZone,
        uniqueListeners: c.uniqueListeners,
        ...sig,
      });
    } else {
      const input: S3WorkerInput = {
        bucket: object.bucket,
        key: object.key,
        etag,
        client: c.workerClient ?? {},
      };
      const pooled = await (c.pool as AggregatePool).aggregate(source, input, {
        ...sig,
        result: 'partials-by-date',
        deadLetter,
      });
      c.metrics.addCounts(source, pooled.counts);
      c.metrics.addBytes(pooled.bytesRead);
      result = { partials: pooled.partials, counts: pooled.counts };
    }
  } catch (error) {
    opened?.body.destroy();
    if (error instanceof PipelineError && error.code === 'SOURCE_MISSING') {
      // Archived by another worker while a pool thread was about to read it.
      // The sink saw none of the object's rows: it is dropped, not closed —
      // closing removes the parts beyond those it wrote, i.e. every part the
      // committing worker wrote, and loses its rejected rows.
      const done = await committedOutcome(object.key, etag, c);
      if (done !== undefined) return done;
      throw error;
    }
    if (error instanceof HeaderError) {
      await deadLetter.close();
      await rejectObject({
        client: s3,
        bucket: object.bucket,
        key: object.key,
        etag,
        sourcePrefix: c.streamsPrefix,
        rejectedPrefix: c.rejectedPrefix,
        missing: error.missing,
        reason: error.message,
        ...sig,
      });
      return { key: object.key, etag, status: 'rejected', dates: [], archived: false, error };
    }
    throw error;
  }
  // Dead letters are durable before the object counts as committed.
  await deadLetter.close();
  const partials = 'partials' in result ? result.partials : serializeKpiStateByDate(result.state);
  const dates = partials.map((p) => p.date);
  for (const { date, bytes } of partials) {
    await store.putPartial(date, objectId, bytes, signal);
  }
  const { counts } = result;
  await store.putManifest(
    {
      objectId,
      bucket: object.bucket,
      key: object.key,
      etag,
      dates,
      rowsRead: counts.rowsRead,
      rowsAggregated: counts.rowsAggregated,
      rowsRejected: counts.rowsRejected,
      rejectedByReason: counts.rejectedByReason,
      committedAt: new Date().toISOString(),
    },
    signal,
  );
  return { key: object.key, etag, status: 'processed', dates, archived: false };
}

/** The outcome of an object version whose manifest exists (`skipped`), else undefined. */
async function committedOutcome(
  key: string,
  etag: string,
  c: ProcessContext,
): Promise<ObjectOutcome | undefined> {
  const manifest = await c.store.getManifest(c.store.objectIdOf(c.bucket, key, etag), c.signal);
  if (manifest === undefined) return undefined;
  return { key, etag, status: 'skipped', dates: manifest.dates, archived: false };
}

/** ETag of `key` in the source now; `SOURCE_MISSING` when it is gone. */
async function currentEtag(key: string, c: ProcessContext): Promise<string> {
  try {
    const head = await c.s3.send(
      new HeadObjectCommand({ Bucket: c.bucket, Key: key }),
      c.signal ? { abortSignal: c.signal } : {},
    );
    return head.ETag?.replace(/^(W\/)?"/, '').replace(/"$/, '') ?? '';
  } catch (error) {
    if (isNotFound(error)) {
      throw new S3SourceError('SOURCE_MISSING', `s3://${c.bucket}/${key} does not exist`, {
        bucket: c.bucket,
        key,
        cause: error,
      });
    }
    throw error;
  }
}

/** ETag of the archived copy of `key`, or undefined when there is none. */
async function archivedEtag(key: string, c: ProcessContext): Promise<string | undefined> {
  if (!key.startsWith(c.streamsPrefix)) return undefined;
  try {
    const head = await c.s3.send(
      new HeadObjectCommand({
        Bucket: c.archiveBucket,
        Key: c.archivePrefix + key.slice(c.streamsPrefix.length),
      }),
      c.signal ? { abortSignal: c.signal } : {},
    );
    return head.ETag?.replace(/^(W\/)?"/, '').replace(/"$/, '') || undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** S3 "no such object" (404 / NoSuchKey / NotFound). */
function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

function* headless(bucket: string, keys: readonly string[]): Iterable<S3ObjectInfo> {
  for (const key of keys) yield { bucket, key, etag: '', size: 0, lastModified: undefined };
}

/** The reference files under `folder`, read lazily, each with its own S3 dead letter. */
function referenceFiles(
  s3: S3Client,
  bucket: string,
  folder: string,
  deadLetterPrefix: string,
  metrics: RunMetrics,
  signal: AbortSignal | undefined,
) {
  const sig = signal ? { signal } : {};
  async function* files(): AsyncGenerator<ReferenceFile> {
    for await (const object of listObjects({ client: s3, bucket, prefix: folder, ...sig })) {
      yield {
        source: sourceRefOf(object),
        open: async () =>
          (await openObject({ client: s3, bucket, key: object.key, etag: object.etag, ...sig }))
            .body,
      };
    }
  }
  const options: ReferenceFilesOptions = {
    deadLetter: (source) =>
      s3DeadLetter({ client: s3, bucket, prefix: deadLetterPrefix, source, ...sig }),
    metrics,
    ...sig,
  };
  return { files: files(), options };
}

async function loadSongs(
  s3: S3Client,
  bucket: string,
  folder: string,
  deadLetterPrefix: string,
  metrics: RunMetrics,
  signal: AbortSignal | undefined,
): Promise<SongsTable> {
  const { files, options } = referenceFiles(s3, bucket, folder, deadLetterPrefix, metrics, signal);
  const songs = await songsTableFromFiles(files, options);
  if (songs.files === 0) {
    throw new PipelineError(
      'NO_SONGS',
      `No songs objects under s3://${bucket}/${folder}: the join needs the songs table`,
    );
  }
  return songs.table;
}

async function loadUsers(
  s3: S3Client,
  bucket: string,
  folder: string,
  deadLetterPrefix: string,
  metrics: RunMetrics,
  signal: AbortSignal | undefined,
): Promise<UsersTable | undefined> {
  const { files, options } = referenceFiles(s3, bucket, folder, deadLetterPrefix, metrics, signal);
  return (await usersTableFromFiles(files, options)).table;
}
