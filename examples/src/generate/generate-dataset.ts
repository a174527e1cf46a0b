import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { OptionsError } from '@streamkpi/core';
import { Prng } from './internal/prng.js';
import { type SongsStats, songsChunks } from './internal/songs.js';
import {
  DIRTY_KINDS,
  type DirtyKind,
  emptyStreamStats,
  type StreamStats,
  streamChunks,
} from './internal/streams.js';
import { usersChunks } from './internal/users.js';
import {
  type GenerateOptions,
  generateOptionsSchema,
  type ResolvedGenerateOptions,
} from './options.js';

/** One written file of the dataset. */
export interface ManifestFile {
  /** Path relative to the dataset directory, `/`-separated (also the S3 key below a prefix). */
  readonly path: string;
  readonly bytes: number;
}

/** What {@link generateDataset} wrote, with the counts tests check against. */
export interface Manifest {
  readonly version: 1;
  /** The options used, defaults filled in (`dir` left out so manifests compare across dirs). */
  readonly options: Omit<ResolvedGenerateOptions, 'dir'>;
  readonly songs: ManifestFile & SongsStats;
  readonly users: ManifestFile & { readonly rows: number };
  readonly streams: {
    readonly files: ReadonlyArray<ManifestFile & StreamStats>;
    /** Sums over all stream files. */
    readonly totals: Omit<StreamStats, 'dirty'> & {
      readonly dirty: Record<DirtyKind, number>;
      /** All dirty rows: what a correct pipeline rejects. */
      readonly dirtyRows: number;
      /** rows − dirtyRows: what a correct pipeline aggregates. */
      readonly validRows: number;
    };
  };
}

/** Name of the manifest file written next to the data. */
export const MANIFEST_FILE = 'manifest.json';

function seedFor(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

async function writeChunks(
  dir: string,
  path: string,
  chunks: Iterable<string | Buffer>,
  options: ResolvedGenerateOptions,
): Promise<ManifestFile> {
  const relPath = options.gzip ? `${path}.gz` : path;
  const file = join(dir, relPath);
  await mkdir(dirname(file), { recursive: true });
  const source = Readable.from(chunks);
  const sink = createWriteStream(file, { highWaterMark: 1 << 20 });
  if (options.gzip) {
    await pipeline(source, createGzip({ level: options.gzipLevel }), sink);
  } else {
    await pipeline(source, sink);
  }
  return { path: relPath, bytes: (await stat(file)).size };
}

/**
 * Writes a synthetic dataset laid out like the bucket: `songs/songs.csv`,
 * `users/users.csv`, `streams/streams-0001.csv`… (`.gz` with `gzip`), plus
 * `manifest.json`. Deterministic: the same options give the same bytes.
 * Streams to disk in ~1 MB chunks with backpressure; memory holds only the
 * distinct track ids.
 *
 * @throws OptionsError when options are invalid (before any I/O).
 */
export async function generateDataset(input: GenerateOptions): Promise<Manifest> {
  const parsed = generateOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new OptionsError(`Invalid generateDataset options: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  const options = parsed.data;
  const startDateMs = Date.parse(`${options.startDate}T00:00:00Z`);
  if (
    !Number.isFinite(startDateMs) ||
    new Date(startDateMs).toISOString().slice(0, 10) !== options.startDate
  ) {
    throw new OptionsError(`Invalid startDate: expected a real date, got ${options.startDate}`);
  }
  await mkdir(options.dir, { recursive: true });

  const tracks: string[] = [];
  const songStats: SongsStats = {
    rows: 0,
    genres: 0,
    distinctTracks: 0,
    multiGenreTracks: 0,
    duplicatePairRows: 0,
    emptyNameRows: 0,
  };
  const songsFile = await writeChunks(
    options.dir,
    'songs/songs.csv',
    songsChunks(new Prng(seedFor(options.seed, 1)), options, tracks, songStats),
    options,
  );
  const usersFile = await writeChunks(
    options.dir,
    'users/users.csv',
    usersChunks(new Prng(seedFor(options.seed, 2)), options.users),
    options,
  );

  // Popular tracks are spread over genres: shuffle before the skewed pick.
  const shuffle = new Prng(seedFor(options.seed, 3));
  for (let i = tracks.length - 1; i > 0; i--) {
    const j = shuffle.int(i + 1);
    const t = tracks[i] as string;
    tracks[i] = tracks[j] as string;
    tracks[j] = t;
  }

  const files: Array<ManifestFile & StreamStats> = [];
  const n = options.streamFiles;
  const windowDays = Math.min(options.days, Math.ceil(options.days / n) + 1);
  for (let f = 0; f < n; f++) {
    const rows = Math.floor(options.streamRows / n) + (f < options.streamRows % n ? 1 : 0);
    const startDay = Math.min(Math.floor((f * options.days) / n), options.days - windowDays);
    const stats = emptyStreamStats();
    const written = await writeChunks(
      options.dir,
      `streams/streams-${String(f + 1).padStart(4, '0')}.csv`,
      streamChunks(
        new Prng(seedFor(options.seed, 100 + f)),
        {
          rows,
          windowStart: startDay * 86_400,
          windowSeconds: windowDays * 86_400,
          startDateMs,
          users: options.users,
          tracks,
          dirtyRate: options.dirtyRate,
          unknownUserRate: options.unknownUserRate,
          isoRate: options.isoRate,
        },
        stats,
      ),
      options,
    );
    files.push({ ...written, ...stats });
  }

  const totals = emptyStreamStats();
  const dates = new Set<string>();
  for (const file of files) {
    totals.rows += file.rows;
    totals.unknownUserRows += file.unknownUserRows;
    totals.isoRows += file.isoRows;
    totals.paddedUserIdRows += file.paddedUserIdRows;
    for (const kind of DIRTY_KINDS) totals.dirty[kind] += file.dirty[kind];
    for (const d of file.dates) dates.add(d);
  }
  const dirtyRows = DIRTY_KINDS.reduce((sum, kind) => sum + totals.dirty[kind], 0);
  const { dir: _dir, ...recorded } = options;
  const manifest: Manifest = {
    version: 1,
    options: recorded,
    songs: { ...songsFile, ...songStats },
    users: { ...usersFile, rows: options.users },
    streams: {
      files,
      totals: {
        ...totals,
        dates: [...dates].sort(),
        dirtyRows,
        validRows: totals.rows - dirtyRows,
      },
    },
  };
  await writeFile(join(options.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
