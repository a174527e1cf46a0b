/**
 * The lookup tables of a local dataset kept on disk between runs, keyed by
 * the reference files themselves (path, size, mtime, inode): an unchanged
 * songs/users folder is read back as the tables' compact binary form (core
 * `SongsTable#toBytes`) in a few milliseconds instead of being parsed again, and
 * any change to a file rebuilds it. What the build read is kept with it —
 * the row counts and the rejected rows, which a cache hit writes to the
 * run's dead letter again — so a run reports and dead-letters the same
 * whether or not the cache served it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type DeadLetterEntry,
  type DeadLetterSink,
  RunMetrics,
  SongsTable,
  type SourceCounts,
  type StageMetrics,
  type UsersTable,
} from '@streamkpi/core';

/** Bump when what a cached entry means changes. */
const CACHE_VERSION = 1;
/** A build that rejected more rows than this is not cached (its dead letter would dominate the entry). */
const MAX_CACHED_REJECTS = 10_000;

/** What a cache entry holds besides the tables. */
interface Meta {
  readonly version: number;
  readonly songs: CountsOf;
  readonly users: CountsOf;
  readonly deadLetters: readonly DeadLetterEntry[];
}

/** A load's counters as stored: per-source counts, bytes read, per-stage records. */
interface CountsOf {
  readonly sources: readonly [string, SourceCounts][];
  readonly bytesRead: number;
  readonly stages: readonly StageMetrics[];
}

/** The tables and the counters of loading them. */
export interface CachedTables {
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly songsMetrics: RunMetrics;
  readonly usersMetrics: RunMetrics;
}

function countsOf(metrics: RunMetrics): CountsOf {
  return { sources: [...metrics.sources], bytesRead: metrics.bytesRead, stages: metrics.stages };
}

function metricsOf(counts: CountsOf): RunMetrics {
  const metrics = new RunMetrics();
  for (const [id, c] of counts.sources) metrics.addCounts({ id, key: id }, c);
  metrics.addBytes(counts.bytesRead);
  metrics.addStages(counts.stages);
  metrics.stop();
  return metrics;
}

/** The entry's file name for these reference files as they are now. */
async function entryName(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256').update(`v${CACHE_VERSION}\n`);
  for (const path of paths) {
    const s = await stat(path, { bigint: true });
    hash.update(`${resolve(path)}\0${s.size}\0${s.mtimeNs}\0${s.ino}\n`);
  }
  return `reference-${hash.digest('hex').slice(0, 32)}.bin`;
}

/**
 * The tables of `paths` from the cache under `dir`, or built by `build`
 * (with a dead-letter sink that also records what it is given) and stored.
 * A hit writes the stored rejected rows to `deadLetter`. An unreadable or
 * corrupt entry is rebuilt; a failed store only costs the next run a build.
 */
export async function cachedReferenceTables(
  dir: string,
  paths: readonly string[],
  deadLetter: DeadLetterSink,
  build: (deadLetter: DeadLetterSink) => Promise<CachedTables>,
): Promise<CachedTables & { readonly cacheHit: boolean }> {
  const file = join(dir, await entryName(paths));
  const hit = await readEntry(file);
  if (hit !== undefined) {
    if (hit.meta.deadLetters.length > 0) await deadLetter.write(hit.meta.deadLetters);
    return {
      songs: hit.songs,
      users: hit.users,
      songsMetrics: metricsOf(hit.meta.songs),
      usersMetrics: metricsOf(hit.meta.users),
      cacheHit: true,
    };
  }
  const rejected: DeadLetterEntry[] = [];
  const recording: DeadLetterSink = {
    write(entries) {
      if (rejected.length <= MAX_CACHED_REJECTS) rejected.push(...entries);
      return deadLetter.write(entries);
    },
    close: () => deadLetter.close(),
  };
  const tables = await build(recording);
  if (rejected.length <= MAX_CACHED_REJECTS) {
    const meta: Meta = {
      version: CACHE_VERSION,
      songs: countsOf(tables.songsMetrics),
      users: countsOf(tables.usersMetrics),
      deadLetters: rejected,
    };
    await writeEntry(dir, file, meta, tables.songs.toBytes(tables.users)).catch(() => undefined);
  }
  return { ...tables, cacheHit: false };
}

/** `[meta length: 8 bytes][meta JSON][tables]`, written to a temp name, then renamed into place. */
async function writeEntry(dir: string, file: string, meta: Meta, tables: Uint8Array) {
  await mkdir(dir, { recursive: true });
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(8);
  head.writeDoubleBE(json.length);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, Buffer.concat([head, json, tables]));
  await rename(temp, file);
}

async function readEntry(file: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  try {
    const length = bytes.readDoubleBE(0);
    const meta = JSON.parse(bytes.subarray(8, 8 + length).toString()) as Meta;
    if (meta.version !== CACHE_VERSION) return undefined;
    const { songs, users } = SongsTable.fromBytes(bytes.subarray(8 + length));
    return { meta, songs, users };
  } catch {
    return undefined;
  }
}
