/**
 * The pipeline over a local folder laid out like the bucket (`songs.csv` or
 * `songs/`, `users.csv` or `users/`, `streams/`): reference data → one
 * mergeable state per stream file → merge → KPI items. No AWS involved.
 *
 * Each stream file is one unit of work ({@link aggregateLocalStreamFile}):
 * it needs only the lookup tables and a dead-letter sink and returns the
 * file's state and counts, so files can later be spread over worker threads
 * (serialize the state with `serializeKpiState` to send it back).
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import {
  type AggregatePool,
  aggregateStreamFile,
  createAggregatePool,
  type DeadLetterEntry,
  type DeadLetterSink,
  detectFormat,
  fileDeadLetter,
  finalizeKpis,
  type KpiItem,
  type KpiState,
  memoryDeadLetter,
  mergeKpiStateInto,
  mergeKpiStates,
  OptionsError,
  PipelineError,
  type ReferenceFile,
  RunMetrics,
  type RunSummary,
  type SongsTable,
  type SongsTableStats,
  type SourceCounts,
  type SourceRef,
  songsTableFromFiles,
  type UsersTable,
  type UsersTableStats,
  unprocessableFile,
  usersTableFromFiles,
} from '@streamkpi/core';
import pLimit from 'p-limit';
import { z } from 'zod';

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
});

/** Options of {@link runLocalKpis}. */
export type RunLocalKpisOptions = z.input<typeof runLocalKpisOptionsSchema> & {
  /** A dead-letter sink to use instead of `deadLetterPath` (not closed by the runner). */
  readonly deadLetter?: DeadLetterSink;
  /** Called once the data files are found, before any is read (progress totals). */
  readonly onDataset?: (dataset: LocalDataset) => void;
  /** Called as each stream file is done (progress). */
  readonly onFile?: (result: LocalFileOutcome) => void;
  readonly signal?: AbortSignal;
};

/** The data files of a local dataset folder, each list sorted. */
export interface LocalDataset {
  readonly songs: readonly string[];
  readonly users: readonly string[];
  readonly streams: readonly string[];
  /** Entries of the dataset folders that are not read, with why. */
  readonly skipped: readonly LocalSkippedFile[];
}

/** A file of a dataset folder that is not read: a symlink, hidden, or not a data file. */
export interface LocalSkippedFile {
  /** Path relative to the input folder, `/`-separated. */
  readonly file: string;
  readonly reason: 'symlink' | 'hidden' | 'unknown_suffix';
}

/** What happened to one stream file. */
export interface LocalFileOutcome {
  /** Path relative to the input folder, `/`-separated. */
  readonly file: string;
  /**
   * `processed`: aggregated; `rejected`: unprocessable — empty, or the
   * header lacks a required column (not aggregated); `failed`: unreadable or
   * malformed, see `error`.
   */
  readonly status: 'processed' | 'rejected' | 'failed';
  readonly counts: SourceCounts;
  readonly error?: unknown;
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

/** The input folder is missing or has no songs. */
export class LocalInputError extends PipelineError {}

function isDataFile(name: string): boolean {
  const lower = name.toLowerCase();
  return !lower.startsWith('.') && detectFormat(lower) !== undefined;
}

async function filesBelow(
  input: string,
  dir: string,
  skipped: LocalSkippedFile[],
): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    const path = join(e.parentPath, e.name);
    const file = relative(input, path).split(sep).join('/');
    const hidden = relative(dir, path)
      .split(sep)
      .some((part) => part.startsWith('.'));
    if (e.isSymbolicLink()) skipped.push({ file, reason: 'symlink' });
    else if (!e.isFile()) continue;
    else if (hidden) skipped.push({ file, reason: 'hidden' });
    else if (isDataFile(e.name)) files.push(path);
    else skipped.push({ file, reason: 'unknown_suffix' });
  }
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return files.sort();
}

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** `<name>/` (every data file below it) or a single `<name>.<ext>` file at the top. */
async function datasetFiles(
  input: string,
  name: string,
  skipped: LocalSkippedFile[],
): Promise<string[]> {
  if ((await kind(join(input, name))) === 'dir')
    return filesBelow(input, join(input, name), skipped);
  const top = await readdir(input);
  return top
    .filter((f) => f.toLowerCase().startsWith(`${name}.`) && isDataFile(f))
    .sort()
    .map((f) => join(input, f));
}

/**
 * Finds the data files of a dataset folder. `manifest.json` is ignored;
 * symlinks, hidden files (or files in hidden folders) and files of other
 * types in the dataset folders are not read but listed in `skipped`.
 *
 * @throws LocalInputError `INPUT_NOT_FOUND` when `input` is not a folder.
 */
export async function findLocalDataset(input: string): Promise<LocalDataset> {
  if ((await kind(input)) !== 'dir') {
    throw new LocalInputError('INPUT_NOT_FOUND', `Input folder not found: ${input}`);
  }
  const skipped: LocalSkippedFile[] = [];
  return {
    songs: await datasetFiles(input, 'songs', skipped),
    users: await datasetFiles(input, 'users', skipped),
    streams: await datasetFiles(input, 'streams', skipped),
    skipped,
  };
}

function sourceOf(input: string, path: string): SourceRef {
  const key = relative(input, path).split(sep).join('/');
  return { id: `file://${path}`, key };
}

/** Options of {@link loadLocalReference}. */
export interface LoadLocalReferenceOptions {
  readonly input: string;
  readonly deadLetter: DeadLetterSink;
  readonly signal?: AbortSignal;
}

/** The lookup tables of a local dataset and the counters of loading them. */
export interface LocalReference {
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly songsMetrics: RunMetrics;
  readonly usersMetrics: RunMetrics;
}

/**
 * Streams the songs (and users, when present) files into lookup tables;
 * invalid rows go to `deadLetter`.
 *
 * @throws LocalInputError `NO_SONGS` when the folder has no songs file.
 */
export async function loadLocalReference(
  dataset: LocalDataset,
  options: LoadLocalReferenceOptions,
): Promise<LocalReference> {
  const { input, deadLetter, signal } = options;
  if (dataset.songs.length === 0) {
    throw new LocalInputError(
      'NO_SONGS',
      `No songs file in ${input} (expected songs.csv or a songs/ folder): the join needs the songs table`,
    );
  }
  const sig = signal ? { signal } : {};
  const files = (paths: readonly string[]): ReferenceFile[] =>
    paths.map((path) => ({ source: sourceOf(input, path), open: () => createReadStream(path) }));
  const songsMetrics = new RunMetrics();
  const songs = await songsTableFromFiles(files(dataset.songs), {
    deadLetter,
    metrics: songsMetrics,
    ...sig,
  });
  songsMetrics.stop();
  const usersMetrics = new RunMetrics();
  const users = await usersTableFromFiles(files(dataset.users), {
    deadLetter,
    metrics: usersMetrics,
    ...sig,
  });
  usersMetrics.stop();
  return { songs: songs.table, users: users.table, songsMetrics, usersMetrics };
}

/** What {@link aggregateLocalStreamFile} needs besides the path. */
export interface LocalStreamFileContext {
  readonly input: string;
  /** When given, the file is parsed and aggregated on one of its threads. */
  readonly pool?: AggregatePool;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly deadLetter: DeadLetterSink;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners?: 'exact' | 'hll';
  readonly signal?: AbortSignal;
}

/** Result of {@link aggregateLocalStreamFile}. */
export interface LocalStreamFileResult {
  readonly outcome: LocalFileOutcome;
  /** The file's state (when processed). */
  readonly state?: KpiState;
  /** The file's own counters (rows, rejects, unknown users). */
  readonly metrics: RunMetrics;
  readonly unknownUserRows: number;
}

/**
 * One stream file → its KPI state, with its own counters. Never throws for
 * a bad file: a missing column gives `rejected`, any other error `failed`
 * (an abort is rethrown).
 */
export async function aggregateLocalStreamFile(
  path: string,
  context: LocalStreamFileContext,
): Promise<LocalStreamFileResult> {
  const source = sourceOf(context.input, path);
  const metrics = new RunMetrics();
  const joinMetrics = { joined: 0, unknownTracks: 0, unknownUsers: 0 };
  try {
    if (context.pool !== undefined) {
      const pooled = await context.pool.aggregate(
        source,
        { path },
        { deadLetter: context.deadLetter, ...(context.signal ? { signal: context.signal } : {}) },
      );
      metrics.addCounts(source, pooled.counts);
      metrics.addBytes(pooled.bytesRead);
      metrics.peakRssBytes = Math.max(metrics.peakRssBytes, pooled.peakRssBytes);
      metrics.stop();
      return {
        outcome: { file: source.key, status: 'processed', counts: metrics.source(source) },
        state: pooled.state,
        metrics,
        unknownUserRows: pooled.unknownUsers,
      };
    }
    const { state, counts } = await aggregateStreamFile(createReadStream(path), {
      source,
      songs: context.songs,
      ...(context.users ? { users: context.users } : {}),
      deadLetter: context.deadLetter,
      metrics,
      joinMetrics,
      timeZone: context.timeZone,
      sourceTimeZone: context.sourceTimeZone,
      ...(context.uniqueListeners ? { uniqueListeners: context.uniqueListeners } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    });
    metrics.stop();
    return {
      outcome: { file: source.key, status: 'processed', counts },
      state,
      metrics,
      unknownUserRows: joinMetrics.unknownUsers,
    };
  } catch (error) {
    context.signal?.throwIfAborted();
    metrics.stop();
    return {
      outcome: {
        file: source.key,
        status: unprocessableFile(error) === undefined ? 'failed' : 'rejected',
        counts: metrics.source(source),
        error,
      },
      metrics,
      unknownUserRows: 0,
    };
  }
}

function mergeSummaries(parts: readonly RunMetrics[], started: number): RunSummary {
  let rowsRead = 0;
  let rowsAggregated = 0;
  let rowsRejected = 0;
  let bytesRead = 0;
  let peak = process.memoryUsage.rss();
  const rejectedByReason: Record<string, number> = {};
  const sources: Record<string, SourceCounts> = {};
  for (const m of parts) {
    rowsRead += m.rowsRead;
    rowsAggregated += m.rowsAggregated;
    rowsRejected += m.rowsRejected;
    bytesRead += m.bytesRead;
    peak = Math.max(peak, m.peakRssBytes);
    for (const [r, n] of Object.entries(m.rejectedByReason)) {
      rejectedByReason[r] = (rejectedByReason[r] ?? 0) + n;
    }
    for (const [id, c] of m.sources)
      sources[id] = { ...c, rejectedByReason: { ...c.rejectedByReason } };
  }
  const durationMs = performance.now() - started;
  return {
    rowsRead,
    rowsAggregated,
    rowsRejected,
    rejectedByReason,
    sources,
    bytesRead,
    stages: [],
    durationMs,
    rowsPerSecond: durationMs > 0 ? (rowsRead * 1000) / durationMs : 0,
    peakRssBytes: peak,
  };
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
  const { deadLetter: givenSink, onDataset, onFile, signal, ...rest } = options;
  const parsed = runLocalKpisOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new OptionsError(
      `runLocalKpis: invalid options — ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const o = parsed.data;
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
    const reference = await loadLocalReference(dataset, { input: o.input, deadLetter, ...sig });
    const threads = Math.min(o.threads ?? availableParallelism(), dataset.streams.length);
    pool =
      threads > 0
        ? createAggregatePool({
            songs: reference.songs,
            ...(reference.users ? { users: reference.users } : {}),
            threads,
            timeZone: o.timeZone,
            sourceTimeZone: o.sourceTimeZone,
            uniqueListeners: o.uniqueListeners,
          })
        : undefined;
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
    const states = results.flatMap((r) => (r.state === undefined ? [] : [r.state]));
    if (folded !== undefined) states.push(folded);
    const [first, ...others] = states;
    const items = first === undefined ? [] : finalizeKpis(mergeKpiStates(first, ...others));
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
