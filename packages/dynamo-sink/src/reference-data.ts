/**
 * The songs and users tables of a run: listed, then built from the listed
 * objects (each file's bad rows to its own S3 dead letter), taken from a
 * {@link ReferenceCache} when the listing is the one the cached table was
 * built from, or read back from a folder (`cacheDir`) keyed by the listed
 * keys and ETags.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type DeadLetterEntry,
  PipelineError,
  type ReferenceFile,
  type ReferenceFilesOptions,
  RunMetrics,
  type RunSummary,
  type SongsTable,
  songsTableFromFiles,
  type UsersTable,
  usersTableFromFiles,
} from '@streamkpi/core';
import {
  listObjects,
  openObject,
  type S3ObjectInfo,
  s3DeadLetter,
  sourceRefOf,
} from '@streamkpi/s3-source';
import type { CachedReference, ReferenceCache } from './reference-cache.js';
import { readBackOrBuild } from './reference-disk-cache.js';

/** Where the reference data is and where its bad rows go. */
export interface ReferenceDataOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Full prefixes (root included). */
  readonly songsPrefix: string;
  readonly usersPrefix: string;
  readonly deadLetterPrefix: string;
  readonly cache: ReferenceCache | undefined;
  /** Folder of the tables' binary form between runs (core `cachedReferenceTables`); none when absent. */
  readonly cacheDir?: string | undefined;
  readonly signal: AbortSignal | undefined;
}

/** The tables of a run and what building them read. */
export interface ReferenceData {
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly summary: { readonly songs: RunSummary; readonly users: RunSummary };
  /** True for each table taken from the cache unread. */
  readonly reused: { readonly songs: boolean; readonly users: boolean };
  /** The tables were read back from `cacheDir` (their rejected rows written to the dead letter again). */
  readonly cacheHit: boolean;
}

/** The listed objects of both folders. */
export interface ReferenceListing {
  readonly songs: readonly S3ObjectInfo[];
  readonly users: readonly S3ObjectInfo[];
}

/** How one table is built from its objects. */
type Build<T> = (
  files: Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
) => Promise<{ readonly table: T; readonly approxBytes: number }>;

/** Loads (or reuses) both tables; throws `NO_SONGS` when `songs/` has no object. */
export async function loadReferenceData(o: ReferenceDataOptions): Promise<ReferenceData> {
  const buildSongs: Build<SongsTable> = async (files, options) => {
    const built = await songsTableFromFiles(files, options);
    if (built.files === 0) {
      throw new PipelineError(
        'NO_SONGS',
        `No songs objects under s3://${o.bucket}/${o.songsPrefix}: the join needs the songs table`,
      );
    }
    return { table: built.table, approxBytes: built.table.stats.approxBytes };
  };
  const buildUsers: Build<UsersTable | undefined> = async (files, options) => {
    const built = await usersTableFromFiles(files, options);
    return { table: built.table, approxBytes: built.table?.stats.approxBytes ?? 0 };
  };
  // Both folders listed at once (a failure of either fails the load).
  const [songsObjects, usersObjects] = await Promise.all([
    list(o, o.songsPrefix),
    list(o, o.usersPrefix),
  ]);
  const listing: ReferenceListing = { songs: songsObjects, users: usersObjects };
  let cacheHit = false;
  let both: ReturnType<typeof readBackOrBuild> | undefined;
  // Both tables are read back (or built) together, once, when either is needed.
  const fromDir = (dir: string) => {
    both ??= readBackOrBuild(dir, o, listing, {
      songs: (record) => run(o, listing.songs, buildSongs, record),
      users: (record) => run(o, listing.users, buildUsers, record),
    }).then((tables) => {
      cacheHit = tables.cacheHit;
      return tables;
    });
    return both;
  };
  const songs = await cached(o, o.songsPrefix, 'songs', listing.songs, () =>
    o.cacheDir === undefined
      ? run(o, listing.songs, buildSongs)
      : fromDir(o.cacheDir).then((t) => t.songs),
  );
  const users = await cached(o, o.usersPrefix, 'users', listing.users, () =>
    o.cacheDir === undefined
      ? run(o, listing.users, buildUsers)
      : fromDir(o.cacheDir).then((t) => t.users),
  );
  return {
    songs: songs.value.table,
    users: users.value.table,
    summary: { songs: songs.value.summary, users: users.value.summary },
    reused: { songs: songs.reused, users: users.reused },
    cacheHit,
  };
}

/** A table from the in-memory cache, or from `load`. */
function cached<T>(
  o: ReferenceDataOptions,
  folder: string,
  kind: 'songs' | 'users',
  objects: readonly S3ObjectInfo[],
  load: () => Promise<CachedReference<T>>,
): Promise<{ readonly value: CachedReference<T>; readonly reused: boolean }> {
  if (o.cache === undefined) return load().then((value) => ({ value, reused: false }));
  const id = `${kind} s3://${o.bucket}/${folder}`;
  return o.cache.get(
    id,
    objects.map((x) => `${x.key} ${x.etag}`),
    load,
  );
}

async function list(o: ReferenceDataOptions, folder: string): Promise<S3ObjectInfo[]> {
  // Reference folders hold a few files: the listing is kept whole.
  const objects: S3ObjectInfo[] = [];
  for await (const object of listObjects({
    client: o.s3,
    bucket: o.bucket,
    prefix: folder,
    ...(o.signal ? { signal: o.signal } : {}),
  }))
    objects.push(object);
  return objects;
}

/** The S3 dead letter of one reference object (closed after its file). */
export function referenceDeadLetter(o: ReferenceDataOptions, source: ReferenceFile['source']) {
  return s3DeadLetter({
    client: o.s3,
    bucket: o.bucket,
    prefix: o.deadLetterPrefix,
    source,
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** Builds one table from its objects; `record` hears every batch of rejected rows. */
async function run<T>(
  o: ReferenceDataOptions,
  objects: readonly S3ObjectInfo[],
  build: Build<T>,
  record?: (entries: readonly DeadLetterEntry[]) => void,
): Promise<CachedReference<T> & { readonly metrics: RunMetrics }> {
  const sig = o.signal ? { signal: o.signal } : {};
  const metrics = new RunMetrics();
  const options: ReferenceFilesOptions = {
    deadLetter: (source) => {
      const sink = referenceDeadLetter(o, source);
      if (record === undefined) return sink;
      return {
        write(entries) {
          record(entries);
          return sink.write(entries);
        },
        close: () => sink.close(),
      };
    },
    metrics,
    ...sig,
  };
  const built = await build(objects.map(fileOf(o, sig)), options);
  metrics.stop();
  return { ...built, summary: metrics.summary(), files: objects.length, metrics };
}

function fileOf(o: ReferenceDataOptions, sig: { signal?: AbortSignal }) {
  return (object: S3ObjectInfo): ReferenceFile => ({
    source: sourceRefOf(object),
    // Pinned to the listed ETag: the table is exactly the listed versions.
    open: async () =>
      (
        await openObject({
          client: o.s3,
          bucket: o.bucket,
          key: object.key,
          etag: object.etag,
          ...sig,
        })
      ).body,
  });
}
