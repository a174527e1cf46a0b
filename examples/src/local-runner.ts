/**
 * `kpis local`: the pipeline over a local folder laid out like the bucket —
 * reference data → one mergeable state per stream file (each composed on
 * the pipeline builder, here or on a worker thread) → merge → KPI items.
 * No AWS involved.
 */
import { availableParallelism } from 'node:os';
import {
  type AggregatePool,
  createAggregatePool,
  type DeadLetterEntry,
  type DeadLetterSink,
  fileDeadLetter,
  finalizeKpis,
  type KpiItem,
  type KpiState,
  memoryDeadLetter,
  mergeKpiStateInto,
  mergeKpiStates,
  parseOptions,
  RunMetrics,
  type RunSummary,
  type SongsTableStats,
  type UsersTableStats,
} from '@streamkpi/core';
import pLimit from 'p-limit';
import { z } from 'zod';
import {
  findLocalDataset,
  type LocalDataset,
  type LocalSkippedFile,
  loadLocalReference,
} from './local-dataset.js';
import {
  aggregateLocalStreamFile,
  type LocalFileOutcome,
  type LocalStreamFileResult,
} from './local-stream-file.js';

export { type LocalDataset, LocalInputError, type LocalSkippedFile } from './local-dataset.js';
export type { LocalFileOutcome } from './local-stream-file.js';

/** Options of {@link runLocalKpis} (callbacks and signal aside). */
export const runLocalKpisOptionsSchema = z.object({
  /** Folder with `songs.csv` or `songs/`, optional `users.csv` or `users/`, and `streams/`. */
  input: z.string().min(1),
  /** IANA zone of the KPI date. Default `UTC`. */
  timeZone: z.string().default('UTC'),
  /** IANA zone of zone-less `listen_time`s. Default `UTC`. */
  sourceTimeZone: z.string().default('UTC'),
  /** Unique listeners: `'exact'` (default) or `'hll'` (HyperLogLog, ≈1.6 % standard error). */
  uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
  /**
   * NDJSON file for rejected rows (created only when a row is rejected).
   * Without it (and without `deadLetter`), rejected rows are kept in memory
   * and returned in `deadLetters`.
   */
  deadLetterPath: z.string().min(1).optional(),
  /** Stream files read at once. Default 2. */
  concurrency: z.number().int().min(1).max(64).default(2),
  /**
   * Worker threads that parse and aggregate stream files (core
   * `createAggregatePool`); `0` runs everything on the calling thread.
   * Default: `os.availableParallelism()`.
   */
  threads: z.number().int().min(0).max(256).optional(),
  /**
   * Folder where the songs and users tables are kept between runs, in their
   * compact binary form, keyed by the reference files' path, size, mtime and
   * inode: an unchanged folder is read back instead of parsed (its rejected
   * rows are written to the dead letter again). No cache when absent.
   */
  referenceCache: z.string().min(1).optional(),
});

/** Options of {@link runLocalKpis}. */
export type RunLocalKpisOptions = z.input<typeof runLocalKpisOptionsSchema> & {
  /** A dead-letter sink to use instead of `deadLetterPath` (not closed by the runner). */
  readonly deadLetter?: DeadLetterSink;
  /** Called once the data files are found, before any is read (progress totals). */
  readonly onDataset?: (dataset: LocalDataset) => void;
  /** Called as each stream file is done (progress). */
  readonly onFile?: (result: LocalFileOutcome) => void;
  /** Called once the lookup tables are built, before any stream file is read (progress). */
  readonly onReference?: (loaded: LocalReferenceLoaded) => void;
  readonly signal?: AbortSignal;
};

/** Where a local run's time went, ms (reference, streams and finalize add up to about `durationMs`). */
export interface LocalRunPhases {
  /** Before the run: the process's start-up and module load (this thread's clock origin to the call). */
  readonly startupMs: number;
  /**
   * From the call until the last pool thread had loaded its module (its
   * tables come with its first file); it overlaps `referenceMs`. 0 without threads.
   */
  readonly threadsReadyMs: number;
  /** Finding the files and building (or reading back) the lookup tables. */
  readonly referenceMs: number;
  /** The lookup tables came from `referenceCache`. */
  readonly referenceCacheHit: boolean;
  /** Parse → validate → join → aggregate of every stream file, states merged as they arrive. */
  readonly streamsMs: number;
  /** The final merge and the KPI items. */
  readonly finalizeMs: number;
}

/** The lookup tables of a local run, once built. */
export interface LocalReferenceLoaded {
  readonly songs: SongsTableStats;
  readonly users: UsersTableStats | undefined;
  /** Reference rows read (songs and users). */
  readonly rowsRead: number;
  readonly durationMs: number;
}

/** The summary of a local run; the same counters as the S3 runner's. */
export interface LocalRunSummary {
  /** Stream rows: `rowsRead === rowsAggregated + rowsRejected` over processed files. */
  readonly streams: RunSummary;
  /** Reference data rows read and rejected. */
  readonly reference: { readonly songs: RunSummary; readonly users: RunSummary };
  /** Sizes of the lookup tables built from the reference data. */
  readonly tables: { readonly songs: SongsTableStats; readonly users: UsersTableStats | undefined };
  readonly files: {
    readonly processed: number;
    readonly rejected: number;
    readonly failed: number;
  };
  readonly outcomes: readonly LocalFileOutcome[];
  /** Files of the dataset folders not read (symlinks, hidden, other suffixes). */
  readonly skipped: readonly LocalSkippedFile[];
  /** Aggregated listens whose user is not in the users files (kept). */
  readonly unknownUserRows: number;
  readonly durationMs: number;
  readonly phases: LocalRunPhases;
  readonly peakRssBytes: number;
  /** False when any stream file failed; rejected (unprocessable) files do not count. */
  readonly ok: boolean;
}

/** Result of {@link runLocalKpis}. */
export interface LocalKpisResult {
  /** KPI items sorted by (date, genre). */
  readonly items: KpiItem[];
  readonly summary: LocalRunSummary;
  /** Rejected rows, when neither `deadLetterPath` nor `deadLetter` was given. */
  readonly deadLetters?: readonly DeadLetterEntry[];
}

/** One summary of the files' counters (rows, rejects, bytes, per-stage records). */
function mergeSummaries(parts: readonly RunMetrics[], started: number): RunSummary {
  const total = new RunMetrics();
  for (const m of parts) {
    for (const [id, counts] of m.sources) total.addCounts({ id, key: id }, counts);
    total.addBytes(m.bytesRead);
    total.addStages(m.stages);
    total.peakRssBytes = Math.max(total.peakRssBytes, m.peakRssBytes);
  }
  const summary = total.summary();
  const durationMs = performance.now() - started;
  const rowsPerSecond = durationMs > 0 ? (summary.rowsRead * 1000) / durationMs : 0;
  return { ...summary, durationMs, rowsPerSecond };
}

/**
 * Runs the pipeline over a local dataset folder and returns the KPI items
 * (the same values the S3 runner writes to DynamoDB) and the run summary.
 * Stream files that fail are reported in the summary (`ok: false`) and
 * contribute nothing; rows of failed files may already be in the dead
 * letter.
 *
 * @throws OptionsError for bad options; LocalInputError for a missing folder
 * or songs; the abort reason when `signal` aborts.
 */
export async function runLocalKpis(options: RunLocalKpisOptions): Promise<LocalKpisResult> {
  const { deadLetter: givenSink, onDataset, onFile, onReference, signal, ...rest } = options;
  const o = parseOptions(runLocalKpisOptionsSchema, rest, 'runLocalKpis');
  const started = performance.now();
  const memory =
    givenSink === undefined && o.deadLetterPath === undefined ? memoryDeadLetter() : undefined;
  const deadLetter: DeadLetterSink =
    givenSink ?? memory ?? fileDeadLetter({ path: o.deadLetterPath as string });
  const sig = signal ? { signal } : {};
  let pool: AggregatePool | undefined;
  try {
    const dataset = await findLocalDataset(o.input);
    onDataset?.(dataset);
    const referenceStarted = performance.now();
    const loading = loadLocalReference(dataset, {
      input: o.input,
      deadLetter,
      ...sig,
      ...(o.referenceCache === undefined ? {} : { cacheDir: o.referenceCache }),
    });
    // The threads start and load their module while the tables load.
    const threads = Math.min(o.threads ?? availableParallelism(), dataset.streams.length);
    pool =
      threads > 0
        ? createAggregatePool({
            tables: loading,
            threads,
            timeZone: o.timeZone,
            sourceTimeZone: o.sourceTimeZone,
            uniqueListeners: o.uniqueListeners,
          })
        : undefined;
    const reference = await loading;
    const referenceDone = performance.now();
    onReference?.({
      songs: reference.songs.stats,
      users: reference.users?.stats,
      rowsRead: reference.songsMetrics.rowsRead + reference.usersMetrics.rowsRead,
      durationMs: referenceDone - referenceStarted,
    });
    // With a pool, one file more than threads waits in its queue: a thread
    // never idles while this thread folds the last state in.
    const limit = pLimit(pool === undefined ? o.concurrency : Math.max(o.concurrency, threads + 1));
    // Pooled states are private to this run: each is folded into one
    // accumulator as it arrives instead of all being kept until the end.
    let folded: KpiState | undefined;
    const results = await Promise.all(
      dataset.streams.map((path) =>
        limit(async (): Promise<LocalStreamFileResult> => {
          const r = await aggregateLocalStreamFile(path, {
            input: o.input,
            ...(pool ? { pool } : {}),
            songs: reference.songs,
            users: reference.users,
            deadLetter,
            timeZone: o.timeZone,
            sourceTimeZone: o.sourceTimeZone,
            uniqueListeners: o.uniqueListeners,
            ...sig,
          });
          onFile?.(r.outcome);
          if (pool === undefined || r.state === undefined) return r;
          if (folded === undefined) folded = r.state;
          else mergeKpiStateInto(folded, r.state);
          const { state: _folded, ...rest } = r;
          return rest;
        }),
      ),
    );
    signal?.throwIfAborted();
    const streamsDone = performance.now();
    const states = results.flatMap((r) => (r.state === undefined ? [] : [r.state]));
    if (folded !== undefined) states.push(folded);
    const [first, ...others] = states;
    const items = first === undefined ? [] : finalizeKpis(mergeKpiStates(first, ...others));
    const finalized = performance.now();
    const ok = results.filter((r) => r.outcome.status === 'processed');
    const streams = mergeSummaries(
      ok.map((r) => r.metrics),
      started,
    );
    const count = (s: LocalFileOutcome['status']) =>
      results.filter((r) => r.outcome.status === s).length;
    const summary: LocalRunSummary = {
      streams,
      reference: {
        songs: reference.songsMetrics.summary(),
        users: reference.usersMetrics.summary(),
      },
      tables: { songs: reference.songs.stats, users: reference.users?.stats },
      files: {
        processed: count('processed'),
        rejected: count('rejected'),
        failed: count('failed'),
      },
      outcomes: results.map((r) => r.outcome),
      skipped: dataset.skipped,
      unknownUserRows: ok.reduce((n, r) => n + r.unknownUserRows, 0),
      durationMs: performance.now() - started,
      phases: {
        startupMs: started,
        threadsReadyMs: Math.max(
          0,
          ...results.map((r) =>
            r.threadReadyAtMs === undefined
              ? 0
              : r.threadReadyAtMs - (performance.timeOrigin + started),
          ),
        ),
        referenceMs: referenceDone - started,
        referenceCacheHit: reference.cacheHit,
        streamsMs: streamsDone - referenceDone,
        finalizeMs: finalized - streamsDone,
      },
      peakRssBytes: Math.max(streams.peakRssBytes, process.memoryUsage.rss()),
      ok: !results.some((r) => r.outcome.status === 'failed'),
    };
    return memory === undefined
      ? { items, summary }
      : { items, summary, deadLetters: memory.entries };
  } finally {
    await pool?.close();
    if (givenSink === undefined) await deadLetter.close();
  }
}
