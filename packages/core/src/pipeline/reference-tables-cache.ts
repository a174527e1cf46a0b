/**
 * The songs and users tables kept in a folder between runs, keyed by what
 * they were built from (a fingerprint the caller makes: local files' path,
 * size and mtime, or S3 objects' keys and ETags): unchanged reference data
 * is read back as the tables' compact binary form (`SongsTable#toBytes`) in
 * milliseconds instead of being parsed again, and any change rebuilds it.
 * What the build read is kept with it — the row counts and the rejected
 * rows, which the caller writes to the run's dead letter again on a hit —
 * so a run reports and dead-letters the same whether or not the cache
 * served it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetterEntry } from '../dead-letter/dead-letter.js';
import type { SongsTable } from '../join/songs-table.js';
import { decodeTables, encodeTables } from '../join/table-codec.js';
import type { UsersTable } from '../join/users-table.js';
import { RunMetrics, type SourceCounts, type StageMetrics } from '../metrics.js';

/** Bump when what a cached entry means changes. */
const CACHE_VERSION = 1;
/** A build that rejected more rows than this is not cached (its dead letter would dominate the entry). */
const MAX_CACHED_REJECTS = 10_000;

/** The tables and the counters of loading them. */
export interface ReferenceTablesBuild {
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly songsMetrics: RunMetrics;
  readonly usersMetrics: RunMetrics;
}

/** What {@link cachedReferenceTables} gives. */
export interface CachedReferenceTables extends ReferenceTablesBuild {
  /** The tables were read back from the folder. */
  readonly cacheHit: boolean;
  /**
   * On a hit, the rows the build rejected, in the order it wrote them: the
   * caller writes them to this run's dead letter. Empty on a miss (the
   * build wrote them).
   */
  readonly deadLetters: readonly DeadLetterEntry[];
}

/** Options of {@link cachedReferenceTables}. */
export interface ReferenceTablesCacheOptions {
  /** Folder of the entries (created when missing). */
  readonly dir: string;
  /** What the tables are built from, as it is now: equal fingerprints mean equal tables. */
  readonly fingerprint: string;
  /**
   * Builds the tables; it passes every batch of rejected rows it writes to
   * `record` (kept with the entry).
   */
  readonly build: (
    record: (entries: readonly DeadLetterEntry[]) => void,
  ) => Promise<ReferenceTablesBuild>;
}

/** What an entry holds besides the tables. */
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

/**
 * The tables for `fingerprint` from the folder, or built by `build` and
 * stored. An unreadable or corrupt entry is rebuilt; a failed store only
 * costs the next run a build.
 */
export async function cachedReferenceTables(
  options: ReferenceTablesCacheOptions,
): Promise<CachedReferenceTables> {
  const name = createHash('sha256')
    .update(`v${CACHE_VERSION}\n${options.fingerprint}`)
    .digest('hex')
    .slice(0, 32);
  const file = join(options.dir, `reference-${name}.bin`);
  const hit = await readEntry(file);
  if (hit !== undefined) {
    return {
      songs: hit.songs,
      users: hit.users,
      songsMetrics: metricsOf(hit.meta.songs),
      usersMetrics: metricsOf(hit.meta.users),
      cacheHit: true,
      deadLetters: hit.meta.deadLetters,
    };
  }
  const rejected: DeadLetterEntry[] = [];
  const tables = await options.build((entries) => {
    if (rejected.length <= MAX_CACHED_REJECTS) rejected.push(...entries);
  });
  if (rejected.length <= MAX_CACHED_REJECTS) {
    const meta: Meta = {
      version: CACHE_VERSION,
      songs: countsOf(tables.songsMetrics),
      users: countsOf(tables.usersMetrics),
      deadLetters: rejected,
    };
    await writeEntry(options.dir, file, meta, encodeTables(tables.songs, tables.users)).catch(
      () => undefined,
    );
  }
  return { ...tables, cacheHit: false, deadLetters: [] };
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
    const { songs, users } = decodeTables(bytes.subarray(8 + length));
    return { meta, songs, users };
  } catch {
    return undefined;
  }
}
