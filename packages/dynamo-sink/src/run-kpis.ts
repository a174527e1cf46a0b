/**
 * The whole flow for a bucket/prefix (SPEC sections 6–8), in lifecycle
 * order: options → connect (tables, reference data, pool) → per object
 * (claim, capture its partials) → commit its dates at once → archive →
 * close (summary). Safe to run again at any point, from several workers at
 * once; see the package README, "Exactly-once protocol".
 */

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { listenTimeWindowSchema, RunMetrics } from '@streamkpi/core';
import { listObjects, processObjects, type S3ObjectInfo } from '@streamkpi/s3-source';
import { z } from 'zod';
import { parseOptions } from './internal/options.js';
import type { ReferenceCache } from './reference-cache.js';
import { createCaptureGate } from './run/capture-gate.js';
import { connect } from './run/connect.js';
import { createDateCommitter } from './run/date-committer.js';
import { guarded, type RunWatch, runBoundsShape } from './run/guard.js';
import { runLayout } from './run/layout.js';
import { ObjectFailedError, withRetries } from './run/object-failure.js';
import { announced, commitOnce, type ObjectFlow, runObject } from './run/object-flow.js';
import type { ObjectOutcome } from './run/outcomes.js';
import {
  type ReferenceLoaded,
  type RunKpisSummary,
  type StreamTotals,
  summarize,
} from './run/summary.js';

export type { LatencySummary, ObjectOutcome, RunKpisFailure } from './run/outcomes.js';
export type { ReferenceLoaded, RunKpisSummary, StreamTotals } from './run/summary.js';

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
  /**
   * DynamoDB table of the protocol's head and claim records (partition key
   * `pk`). Default: `<tableName>-state`. Created with the KPI table.
   */
  stateTableName: z.string().min(3).max(255).optional(),
  /**
   * How long a worker's claim on a stream object lasts, in ms, renewed every
   * third of it while the object is read; another worker takes an object
   * over once its claim expired. Default 60000.
   */
  claimTtlMs: z.number().int().min(100).max(3_600_000).default(60_000),
  ...runBoundsShape,
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
  /**
   * Accepted `listen_time`s: rows outside are dead-lettered as
   * `listen_time_out_of_range`. Default 2000-01-01 to one day after now.
   */
  listenTimeWindow: listenTimeWindowSchema.optional(),
  /**
   * Attempts per object within a run while it fails with a transient error
   * (network, throttling, timeouts, 5xx), with exponential backoff from
   * `retryDelayMs`. Default 3.
   */
  objectAttempts: z.number().int().min(1).max(10).default(3),
  /** Delay before an object's first retry, doubled per retry. Default 500. */
  retryDelayMs: z.number().int().min(0).max(60_000).default(500),
  /** Stream objects read at once. Default 2. */
  concurrency: z.number().int().min(1).max(64).default(2),
  /**
   * Worker threads that read, parse and aggregate stream objects (each with
   * its own S3 client built from the injected client's settings); `0` does
   * it all on the calling thread. Default: one per core when listing
   * `streams/`, `0` with `keys` (event-driven runs of one or a few objects).
   */
  threads: z.number().int().min(0).max(256).optional(),
  /**
   * Folder where the songs and users tables are kept between calls (and
   * processes), in their compact binary form, keyed by the reference
   * objects' keys, ETags and sizes: unchanged reference data is read back
   * instead of parsed, and its rejected rows are written to the dead letter
   * again. Below `referenceCache` when both are given. Default: none.
   */
  referenceCacheDir: z.string().min(1).optional(),
  /** Only these stream keys (full keys), instead of listing `streams/` — for event-driven runs. */
  keys: z.array(z.string().min(1)).optional(),
});

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
  /** Called as each stream object is done, with the run's stream totals so far (progress). */
  readonly onObject?: (outcome: ObjectOutcome, totals: StreamTotals) => void;
  /** Called once the reference data is loaded (or reused), before any stream object is read. */
  readonly onReference?: (loaded: ReferenceLoaded) => void;
  /**
   * Keeps the songs and users tables for the next call while their objects'
   * ETags are unchanged (see {@link createReferenceCache}). Default: none,
   * every call reads the reference data.
   */
  readonly referenceCache?: ReferenceCache;
  readonly signal?: AbortSignal;
};

/**
 * Runs the pipeline once over `bucket/prefix`. Each object's dates are
 * committed as soon as it is captured (pending partials of one date are
 * batched into one commit) and it is archived right after. Never throws for
 * a bad object or date: those are reported in the summary (and to
 * `onError`) and left to a later run; throws for bad options, missing
 * reference data or an abort.
 */
export async function runKpis(options: RunKpisOptions): Promise<RunKpisSummary> {
  const { s3, dynamo, onError, onObject, onReference, signal: callerSignal, ...rest } = options;
  const o = parseOptions(runKpisOptionsSchema, rest, 'runKpis');
  return guarded(o, { s3, dynamo, signal: callerSignal }, (s, w) => run(o, options, s, w));
}

async function run(
  o: z.output<typeof runKpisOptionsSchema>,
  options: RunKpisOptions,
  signal: AbortSignal,
  watch: RunWatch,
): Promise<RunKpisSummary> {
  const { s3, dynamo, onError, onObject } = options;
  const started = performance.now();
  const layout = runLayout(o);
  const threads = o.threads ?? (o.keys === undefined ? availableParallelism() : 0);
  const report = async (error: unknown, context: { key?: string; date?: string }) => {
    if (onError) await onError(error, context);
  };

  const connection = await connect({
    s3,
    dynamo,
    layout,
    tableName: o.tableName,
    stateTableName: o.stateTableName ?? `${o.tableName}-state`,
    createTable: o.createTable,
    threads,
    timeZone: o.timeZone,
    sourceTimeZone: o.sourceTimeZone,
    uniqueListeners: o.uniqueListeners,
    listenTimeWindow: options.listenTimeWindow,
    referenceCache: options.referenceCache,
    referenceCacheDir: o.referenceCacheDir,
    onReference: options.onReference,
    pool: { taskTimeoutMs: o.taskTimeoutMs, onProgress: watch.activity.progress },
    signal,
  });
  const metrics = new RunMetrics();
  watch.watchRun(metrics, connection.pool?.pool);
  // Keep every thread busy: one object more than threads waits in the
  // pool's queue, so a thread starts its next object while this thread
  // stores the last one's partials.
  const slots = Math.max(o.concurrency, threads === 0 ? 0 : threads + 1);
  const captures = createCaptureGate(slots);
  const committer = createDateCommitter(
    (date, pending) => commitOnce(date, pending, connection, dynamo, o.tableName, signal),
    (error, date) => report(error, { date }),
    // A date's commit waits for the objects being read: those sharing it join the commit.
    (mark) => captures.settled(mark),
  );
  const flow: ObjectFlow = {
    capture: {
      s3,
      layout,
      connection,
      metrics,
      timeZone: o.timeZone,
      sourceTimeZone: o.sourceTimeZone,
      uniqueListeners: o.uniqueListeners,
      listenTimeWindow: options.listenTimeWindow,
      signal,
    },
    committer,
    captures,
    owner: randomUUID(),
    claimTtlMs: o.claimTtlMs,
    report,
  };
  const objects: AsyncIterable<S3ObjectInfo> | Iterable<S3ObjectInfo> =
    o.keys === undefined
      ? listObjects({
          client: s3,
          bucket: o.bucket,
          prefix: layout.streams,
          ...(signal ? { signal } : {}),
        })
      : announced(o.bucket, o.keys);

  const policy = { attempts: o.objectAttempts, baseDelayMs: o.retryDelayMs };
  const outcomes: ObjectOutcome[] = [];
  try {
    for await (const outcome of processObjects({
      objects,
      // Captured objects wait for their commits outside the capture slots.
      concurrency: 3 * slots,
      ...(signal ? { signal } : {}),
      process: (object) =>
        watch.track(object.key, () => withRetries(() => runObject(object, flow), policy, signal)),
    })) {
      let done: ObjectOutcome;
      if (outcome.ok) {
        done = outcome.value;
      } else {
        done = {
          key: outcome.object.key,
          etag: outcome.object.etag,
          status: 'failed',
          dates: [],
          archived: false,
          error:
            outcome.error instanceof ObjectFailedError
              ? outcome.error
              : new ObjectFailedError(o.bucket, outcome.object.key, 'capture', outcome.error),
        };
        await report(done.error, { key: outcome.object.key });
      }
      outcomes.push(done);
      onObject?.(done, { rowsRead: metrics.rowsRead, bytesRead: metrics.bytesRead });
    }
  } finally {
    // The threads also merged the partials of the commits.
    await connection.close();
  }
  signal?.throwIfAborted();
  metrics.stop();
  return summarize({
    connection,
    metrics,
    outcomes,
    dates: committer.results(),
    failedDates: committer.failed,
    started,
  });
}
