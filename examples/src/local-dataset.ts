/**
 * A local folder laid out like the bucket (`songs.csv` or `songs/`,
 * `users.csv` or `users/`, `streams/`): finding its data files and loading
 * its reference data into lookup tables.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  type DeadLetterSink,
  detectFormat,
  PipelineError,
  type ReferenceFile,
  RunMetrics,
  type SongsTable,
  type SourceRef,
  songsTableFromFiles,
  type UsersTable,
  usersTableFromFiles,
} from '@streamkpi/core';
import { cachedReferenceTables } from './local-reference-cache.js';

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
 * Finds the data files of a dataset folder. `manifest.json`, hidden files
 * and files of other types are ignored.
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

export function sourceOf(input: string, path: string): SourceRef {
  const key = relative(input, path).split(sep).join('/');
  return { id: `file://${path}`, key };
}

/** Options of {@link loadLocalReference}. */
export interface LoadLocalReferenceOptions {
  readonly input: string;
  readonly deadLetter: DeadLetterSink;
  readonly signal?: AbortSignal;
  /** Folder of the tables cache (see local-reference-cache.ts); none when absent. */
  readonly cacheDir?: string;
}

/** The lookup tables of a local dataset and the counters of loading them. */
export interface LocalReference {
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly songsMetrics: RunMetrics;
  readonly usersMetrics: RunMetrics;
  /** The tables came from the cache (`cacheDir`). */
  readonly cacheHit: boolean;
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
  const build = async (sink: DeadLetterSink) => {
    const fromFiles = async <T>(
      paths: readonly string[],
      read: typeof songsTableFromFiles | typeof usersTableFromFiles,
    ) => {
      const metrics = new RunMetrics();
      const { table } = await read(files(paths), { deadLetter: sink, metrics, ...sig });
      metrics.stop();
      return { table: table as T, metrics };
    };
    const songs = await fromFiles<SongsTable>(dataset.songs, songsTableFromFiles);
    const users = await fromFiles<UsersTable | undefined>(dataset.users, usersTableFromFiles);
    return {
      songs: songs.table,
      users: users.table,
      songsMetrics: songs.metrics,
      usersMetrics: users.metrics,
    };
  };
  if (options.cacheDir === undefined) return { ...(await build(deadLetter)), cacheHit: false };
  const paths = [...dataset.songs, ...dataset.users];
  return cachedReferenceTables(options.cacheDir, paths, deadLetter, build);
}
