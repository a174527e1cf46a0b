/**
 * The songs and users tables of a run read back from a folder between runs
 * (core `cachedReferenceTables`, the same entries `kpis local` keeps),
 * fingerprinted by the listed reference objects — each key with its ETag
 * and size, not the bucket: the same objects uploaded elsewhere are the
 * same tables. A hit writes each object's stored rejected rows to its S3
 * dead letter again (every listed object's sink is opened and closed, as a
 * build does), so the dead letter is the same whether or not the folder
 * served the tables.
 */
import {
  cachedReferenceTables,
  type DeadLetterEntry,
  type RunMetrics,
  type SongsTable,
  type UsersTable,
} from '@streamkpi/core';
import { type S3ObjectInfo, sourceRefOf } from '@streamkpi/s3-source';
import type { CachedReference } from './reference-cache.js';
import {
  type ReferenceDataOptions,
  type ReferenceListing,
  referenceDeadLetter,
} from './reference-data.js';

type Built<T> = CachedReference<T> & { readonly metrics: RunMetrics };
type Record = (entries: readonly DeadLetterEntry[]) => void;

/** Both tables from `dir`, or built (songs, then users) and stored there. */
export async function readBackOrBuild(
  dir: string,
  o: ReferenceDataOptions,
  listing: ReferenceListing,
  build: {
    readonly songs: (record: Record) => Promise<Built<SongsTable>>;
    readonly users: (record: Record) => Promise<Built<UsersTable | undefined>>;
  },
): Promise<{
  readonly songs: CachedReference<SongsTable>;
  readonly users: CachedReference<UsersTable | undefined>;
  readonly cacheHit: boolean;
}> {
  const fingerprint = [
    `songs ${o.songsPrefix}`,
    ...listing.songs.map(line),
    `users ${o.usersPrefix}`,
    ...listing.users.map(line),
  ].join('\n');
  const tables = await cachedReferenceTables({
    dir,
    fingerprint,
    build: async (record) => {
      const songs = await build.songs(record);
      const users = await build.users(record);
      return {
        songs: songs.table,
        users: users.table,
        songsMetrics: songs.metrics,
        usersMetrics: users.metrics,
      };
    },
  });
  if (tables.cacheHit) await replay(o, listing, tables.deadLetters);
  const entry = <T>(
    table: T,
    metrics: RunMetrics,
    files: number,
    approxBytes: number,
  ): CachedReference<T> => ({ table, summary: metrics.summary(), files, approxBytes });
  return {
    songs: entry(
      tables.songs,
      tables.songsMetrics,
      listing.songs.length,
      tables.songs.stats.approxBytes,
    ),
    users: entry(
      tables.users,
      tables.usersMetrics,
      listing.users.length,
      tables.users?.stats.approxBytes ?? 0,
    ),
    cacheHit: tables.cacheHit,
  };
}

function line(object: S3ObjectInfo): string {
  return `${object.key} ${object.etag} ${object.size}`;
}

/** Each listed object's stored rejected rows to its dead letter, as the listed object. */
async function replay(
  o: ReferenceDataOptions,
  listing: ReferenceListing,
  entries: readonly DeadLetterEntry[],
): Promise<void> {
  const byKey = new Map<string, DeadLetterEntry[]>();
  for (const e of entries) {
    const list = byKey.get(e.source.key);
    if (list === undefined) byKey.set(e.source.key, [e]);
    else list.push(e);
  }
  for (const object of [...listing.songs, ...listing.users]) {
    const source = sourceRefOf(object);
    const sink = referenceDeadLetter(o, source);
    const own = byKey.get(object.key) ?? [];
    if (own.length > 0) await sink.write(own.map((e) => ({ ...e, source })));
    await sink.close();
  }
}
