/**
 * Reference data (songs, users) from bytes to lookup tables, streaming:
 * parse → validate (bad rows to the dead letter) → table.
 */
import type { DeadLetterSink } from '../dead-letter/dead-letter.js';
import { buildSongsTable, type SongsTable, SongsTableBuilder } from '../join/songs-table.js';
import { buildUsersTable, type UsersTable, usersTableFromIds } from '../join/users-table.js';
import { RunMetrics } from '../metrics.js';
import type { ByteSource } from '../parse/internal/bytes.js';
import { DEFAULT_MAX_ROW_BYTES } from '../parse/internal/parse-options.js';
import { detectFormat, parseFile } from '../parse/parse-file.js';
import type { SongRow, SourceRef, UserRow } from '../types.js';
import { validateRows } from '../validate/validate-rows.js';
import { foldReferenceCsv, type ReferenceRow } from './internal/reference-csv-fused.js';

/** Options of {@link loadSongsTable} and {@link loadUsersTable}. */
export interface LoadReferenceOptions {
  /** The file being read (its key picks the format). */
  readonly source: SourceRef;
  /** Where invalid rows go. Not closed here. */
  readonly deadLetter: DeadLetterSink;
  /** Run counters to add to. */
  readonly metrics?: RunMetrics;
  readonly signal?: AbortSignal;
}

function rows<D extends 'songs' | 'users'>(
  dataset: D,
  bytes: ByteSource,
  options: LoadReferenceOptions,
) {
  const { source, deadLetter, metrics, signal } = options;
  const context = { signal: signal ?? new AbortController().signal };
  const parse = parseFile({ source, dataset, ...(metrics === undefined ? {} : { metrics }) });
  const validate = validateRows({
    dataset,
    deadLetter,
    ...(metrics === undefined ? {} : { metrics }),
  });
  return validate(parse(bytes, context), context);
}

/**
 * Streams a songs file (CSV/NDJSON/JSON, optionally gzip) into a
 * {@link SongsTable}. Several files: call {@link buildSongsTable} over the
 * concatenated batches instead. Fails with `HeaderError` when a required
 * column is missing.
 */
export async function loadSongsTable(
  bytes: ByteSource,
  options: LoadReferenceOptions,
): Promise<SongsTable> {
  if (detectFormat(options.source.key) === 'csv') {
    const builder = new SongsTableBuilder();
    await foldCsv('songs', bytes, options, (row) => builder.add(row));
    return builder.finish();
  }
  return buildSongsTable(
    rows('songs', bytes, options),
    options.signal ? { signal: options.signal } : {},
  );
}

/**
 * A CSV reference file through the fused path (same rows, dead letters and
 * counters as parse → validate, without a record per valid row); resolves
 * to the number of valid rows.
 */
function foldCsv<D extends keyof ReferenceRow>(
  dataset: D,
  bytes: ByteSource,
  options: LoadReferenceOptions,
  onRow: (row: ReferenceRow[D]) => void,
): Promise<number> {
  return foldReferenceCsv(bytes, {
    dataset,
    source: options.source,
    deadLetter: options.deadLetter,
    metrics: options.metrics ?? new RunMetrics(),
    maxRowBytes: DEFAULT_MAX_ROW_BYTES,
    signal: options.signal ?? new AbortController().signal,
    onRow,
  });
}

/** Streams a users file into a {@link UsersTable}. */
export async function loadUsersTable(
  bytes: ByteSource,
  options: LoadReferenceOptions,
): Promise<UsersTable> {
  if (detectFormat(options.source.key) === 'csv') {
    const ids: number[] = [];
    await foldCsv('users', bytes, options, (row) => ids.push(row.user_id));
    return usersTableFromIds(ids);
  }
  return buildUsersTable(
    rows('users', bytes, options),
    options.signal ? { signal: options.signal } : {},
  );
}

/** Batches of validated songs rows from one file, for building a table over several files. */
export function readSongRows(bytes: ByteSource, options: LoadReferenceOptions) {
  return rows('songs', bytes, options);
}

/** Batches of validated users rows from one file. */
export function readUserRows(bytes: ByteSource, options: LoadReferenceOptions) {
  return rows('users', bytes, options);
}

/** One reference file: where it is and how to read it. */
export interface ReferenceFile {
  readonly source: SourceRef;
  /** Opens the file's bytes; called once, when the file's turn comes. */
  readonly open: () => ByteSource | Promise<ByteSource>;
}

/** Options of {@link songsTableFromFiles} and {@link usersTableFromFiles}. */
export interface ReferenceFilesOptions {
  /**
   * Where invalid rows go: one sink for all files (not closed here), or a
   * sink per file (closed after that file, e.g. an S3 dead letter per object).
   */
  readonly deadLetter: DeadLetterSink | ((source: SourceRef) => DeadLetterSink);
  /** Counters: rows read, rejected, and (valid rows) aggregated into the table. */
  readonly metrics: RunMetrics;
  readonly signal?: AbortSignal;
}

async function forEachBatch<D extends 'songs' | 'users'>(
  dataset: D,
  files: AsyncIterable<ReferenceFile> | Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
  onRow: (row: D extends 'songs' ? SongRow : UserRow) => void,
): Promise<number> {
  const { metrics, signal } = options;
  let count = 0;
  for await (const file of files) {
    signal?.throwIfAborted();
    count++;
    const perFile = typeof options.deadLetter === 'function';
    const deadLetter =
      typeof options.deadLetter === 'function'
        ? options.deadLetter(file.source)
        : options.deadLetter;
    try {
      const bytes = await file.open();
      const load = { source: file.source, deadLetter, metrics, ...(signal ? { signal } : {}) };
      if (detectFormat(file.source.key) === 'csv') {
        const valid = await foldCsv(dataset, bytes, load, onRow as (row: ReferenceRow[D]) => void);
        metrics.addAggregated(file.source, valid);
        continue;
      }
      for await (const batch of rows(dataset, bytes, load)) {
        for (const row of batch) onRow(row.value as D extends 'songs' ? SongRow : UserRow);
        metrics.addAggregated(file.source, batch.length);
      }
    } finally {
      if (perFile) await deadLetter.close();
    }
  }
  return count;
}

/**
 * Builds one songs table from several files, in the order given (the first
 * row of a track × genre pair wins across files too). `files` is 0 when there
 * was none — the caller decides whether that is an error.
 */
export async function songsTableFromFiles(
  files: AsyncIterable<ReferenceFile> | Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
): Promise<{ readonly table: SongsTable; readonly files: number }> {
  const builder = new SongsTableBuilder();
  const count = await forEachBatch('songs', files, options, (row) => builder.add(row));
  return { table: builder.finish(), files: count };
}

/** Builds one users table from several files; `table` is undefined when there was no file. */
export async function usersTableFromFiles(
  files: AsyncIterable<ReferenceFile> | Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
): Promise<{ readonly table: UsersTable | undefined; readonly files: number }> {
  const ids: number[] = [];
  const count = await forEachBatch('users', files, options, (row) => ids.push(row.user_id));
  return { table: count === 0 ? undefined : usersTableFromIds(ids), files: count };
}
