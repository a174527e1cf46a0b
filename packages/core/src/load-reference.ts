/**
 * Reference data (songs, users) from bytes to lookup tables, streaming:
 * parse → validate (bad rows to the dead letter) → table.
 */
import type { DeadLetterSink } from './dead-letter.js';
import type { ByteSource } from './internal/bytes.js';
import type { RunMetrics } from './metrics.js';
import { parseFile } from './parse-file.js';
import { buildSongsTable, type SongsTable } from './songs-table.js';
import type { SourceRef } from './types.js';
import { buildUsersTable, type UsersTable } from './users-table.js';
import { validateRows } from './validate-rows.js';

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
  return buildSongsTable(
    rows('songs', bytes, options),
    options.signal ? { signal: options.signal } : {},
  );
}

/** Streams a users file into a {@link UsersTable}. */
export async function loadUsersTable(
  bytes: ByteSource,
  options: LoadReferenceOptions,
): Promise<UsersTable> {
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
