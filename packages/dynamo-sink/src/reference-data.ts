/**
 * The songs and users tables of a run: listed, then built from the listed
 * objects (each file's bad rows to its own S3 dead letter), or taken from a
 * {@link ReferenceCache} when the listing is the one the cached table was
 * built from.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
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

/** Where the reference data is and where its bad rows go. */
export interface ReferenceDataOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Full prefixes (root included). */
  readonly songsPrefix: string;
  readonly usersPrefix: string;
  readonly deadLetterPrefix: string;
  readonly cache: ReferenceCache | undefined;
  readonly signal: AbortSignal | undefined;
}

/** The tables of a run and what building them read. */
export interface ReferenceData {
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly summary: { readonly songs: RunSummary; readonly users: RunSummary };
  /** True for each table taken from the cache unread. */
  readonly reused: { readonly songs: boolean; readonly users: boolean };
}

/** Loads (or reuses) both tables; throws `NO_SONGS` when `songs/` has no object. */
export async function loadReferenceData(o: ReferenceDataOptions): Promise<ReferenceData> {
  const songs = await table(o, o.songsPrefix, 'songs', async (files, options) => {
    const built = await songsTableFromFiles(files, options);
    if (built.files === 0) {
      throw new PipelineError(
        'NO_SONGS',
        `No songs objects under s3://${o.bucket}/${o.songsPrefix}: the join needs the songs table`,
      );
    }
    return { table: built.table, approxBytes: built.table.stats.approxBytes };
  });
  const users = await table(o, o.usersPrefix, 'users', async (files, options) => {
    const built = await usersTableFromFiles(files, options);
    return { table: built.table, approxBytes: built.table?.stats.approxBytes ?? 0 };
  });
  return {
    songs: songs.value.table,
    users: users.value.table,
    summary: { songs: songs.value.summary, users: users.value.summary },
    reused: { songs: songs.reused, users: users.reused },
  };
}

type Build<T> = (
  files: Iterable<ReferenceFile>,
  options: ReferenceFilesOptions,
) => Promise<{ readonly table: T; readonly approxBytes: number }>;

async function table<T>(
  o: ReferenceDataOptions,
  folder: string,
  kind: 'songs' | 'users',
  build: Build<T>,
): Promise<{ readonly value: CachedReference<T>; readonly reused: boolean }> {
  const sig = o.signal ? { signal: o.signal } : {};
  // Reference folders hold a few files: the listing is kept whole.
  const objects: S3ObjectInfo[] = [];
  for await (const object of listObjects({
    client: o.s3,
    bucket: o.bucket,
    prefix: folder,
    ...sig,
  }))
    objects.push(object);
  const run = async (): Promise<CachedReference<T>> => {
    const metrics = new RunMetrics();
    const options: ReferenceFilesOptions = {
      deadLetter: (source) =>
        s3DeadLetter({
          client: o.s3,
          bucket: o.bucket,
          prefix: o.deadLetterPrefix,
          source,
          ...sig,
        }),
      metrics,
      ...sig,
    };
    const built = await build(objects.map(fileOf(o, sig)), options);
    metrics.stop();
    return { ...built, summary: metrics.summary(), files: objects.length };
  };
  if (o.cache === undefined) return { value: await run(), reused: false };
  const id = `${kind} s3://${o.bucket}/${folder}`;
  return o.cache.get(
    id,
    objects.map((x) => `${x.key} ${x.etag}`),
    run,
  );
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
