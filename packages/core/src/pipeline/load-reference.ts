/**
 * Reference data (songs, users) from bytes to lookup tables, streaming, on
 * the pipeline builder: parseFile → validateRows (bad rows to the dead
 * letter) → a table sink.
 */
import { z } from 'zod';
import { type DeadLetterSink, deadLetterSinkSchema } from '../dead-letter/dead-letter.js';
import { functionSchema, parseOptions, sourceRefSchema } from '../internal/options.js';
import {
  addSongRows,
  addUserIds,
  buildSongsTable,
  buildUsersTable,
} from '../join/reference-tables.js';
import type { SongsTable } from '../join/songs-table.js';
import { SongsTableBuilder } from '../join/songs-table-builder.js';
import { type UsersTable, usersTableFromIds } from '../join/users-table.js';
import { RunMetrics } from '../metrics.js';
import type { ByteSource } from '../parse/internal/bytes.js';
import { parseFile } from '../parse/parse-file.js';
import type { BatchSink, SongRow, SourceRef, UserRow, ValidBatch } from '../types.js';
import { validateRows } from '../validate/validate-rows.js';
import { pipeline } from './pipeline.js';

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

/** Checks {@link LoadReferenceOptions} before any byte is read. */
const loadReferenceOptionsSchema = z
  .object({
    source: sourceRefSchema,
    deadLetter: deadLetterSinkSchema,
    metrics: z.instanceof(RunMetrics).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

/** Checks {@link ReferenceFilesOptions} before any file is opened. */
const referenceFilesOptionsSchema = z
  .object({
    deadLetter: z.union([deadLetterSinkSchema, functionSchema('`deadLetter`')], {
      error: 'Expected a DeadLetterSink or a function of the source returning one',
    }),
    metrics: z.instanceof(RunMetrics, { error: 'Expected a RunMetrics' }),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

interface ReferenceRows {
  readonly songs: ValidBatch<SongRow>;
  readonly users: ValidBatch<UserRow>;
}

/** One reference file through parse → validate → `sink`. */
async function readReference<D extends 'songs' | 'users', R>(
  dataset: D,
  bytes: ByteSource,
  options: LoadReferenceOptions,
  sink: BatchSink<ReferenceRows[D], R>,
): Promise<R> {
  const { source, deadLetter, metrics, signal } = options;
  const { value } = await pipeline(bytes)
    .through(parseFile({ source, dataset }), 'parse')
    .through(validateRows({ dataset, deadLetter }))
    .to(sink as BatchSink<unknown, R>)
    .run({ ...(metrics === undefined ? {} : { metrics }), ...(signal ? { signal } : {}) });
  return value;
}

/**
 * Streams a songs file (CSV/NDJSON/JSON, optionally gzip) into a
 * {@link SongsTable}. Several files: {@link songsTableFromFiles}. Fails with
 * `HeaderError` when a required column is missing; invalid options throw
 * `OptionsError` before any byte is read.
 */
export function loadSongsTable(
  bytes: ByteSource,
  options: LoadReferenceOptions,
): Promise<SongsTable> {
  parseOptions(loadReferenceOptionsSchema, options, 'loadSongsTable');
  return readReference('songs', bytes, options, buildSongsTable());
}

/** Streams a users file into a {@link UsersTable}. */
export function loadUsersTable(
  bytes: ByteSource,
  options: LoadReferenceOptions,
): Promise<UsersTable> {
  parseOptions(loadReferenceOptionsSchema, options, 'loadUsersTable');
  return readReference('users', bytes, options, buildUsersTable());
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

async function eachFile<D extends 'songs' | 'users'>(
  dataset: D,
  files: AsyncIterable<ReferenceFile> | Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
  sink: BatchSink<ReferenceRows[D], number>,
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
      await readReference(dataset, bytes, load, sink);
    } finally {
      if (perFile) await deadLetter.close();
    }
  }
  return count;
}

/**
 * Builds one songs table from several files, in the order given (the first
 * row of a track × genre pair wins across files too). `files` is 0 when there
 * was none — the caller decides whether that is an error. Invalid options
 * throw `OptionsError` before any file is opened; an abort rejects with the
 * signal's reason.
 */
export async function songsTableFromFiles(
  files: AsyncIterable<ReferenceFile> | Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
): Promise<{ readonly table: SongsTable; readonly files: number }> {
  parseOptions(referenceFilesOptionsSchema, options, 'songsTableFromFiles');
  const builder = new SongsTableBuilder();
  const count = await eachFile('songs', files, options, addSongRows(builder));
  return { table: builder.finish(), files: count };
}

/** Builds one users table from several files; `table` is undefined when there was no file. */
export async function usersTableFromFiles(
  files: AsyncIterable<ReferenceFile> | Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
): Promise<{ readonly table: UsersTable | undefined; readonly files: number }> {
  parseOptions(referenceFilesOptionsSchema, options, 'usersTableFromFiles');
  const ids: number[] = [];
  const count = await eachFile('users', files, options, addUserIds(ids));
  return { table: count === 0 ? undefined : usersTableFromIds(ids), files: count };
}
