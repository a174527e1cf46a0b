import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { OptionsError, streamRowSchema } from '@streamkpi/core';
import { type GenerateOptions, generateDataset, type Manifest } from '../src/generate/index.js';
import { parseCsv } from './helpers/rfc4180.js';

const SMALL: Omit<GenerateOptions, 'dir'> = {
  seed: 7,
  streamRows: 30_000,
  streamFiles: 3,
  days: 4,
  songsPerGenre: 150,
  users: 2_000,
  dirtyRate: 0.05,
};

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gen-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      out.set(path.slice(dir.length), await readFile(path));
    }
  }
  return out;
}

describe('generateDataset', () => {
  let dir: string;
  let manifest: Manifest;
  before(async () => {
    dir = join(root, 'a');
    manifest = await generateDataset({ ...SMALL, dir });
  });

  it('writes the same bytes for the same seed and different bytes for another seed', async () => {
    const again = join(root, 'b');
    await generateDataset({ ...SMALL, dir: again });
    const first = await filesOf(dir);
    const second = await filesOf(again);
    assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
    for (const [path, bytes] of first) assert.ok(bytes.equals(second.get(path)!), path);

    const other = join(root, 'c');
    await generateDataset({ ...SMALL, seed: 8, dir: other });
    const third = await filesOf(other);
    assert.ok(
      !third.get('/streams/streams-0001.csv')!.equals(first.get('/streams/streams-0001.csv')!),
    );
  });

  it('lays files out like the bucket and records their sizes', async () => {
    const files = [...(await filesOf(dir)).keys()].sort();
    assert.deepEqual(files, [
      '/manifest.json',
      '/songs/songs.csv',
      '/streams/streams-0001.csv',
      '/streams/streams-0002.csv',
      '/streams/streams-0003.csv',
      '/users/users.csv',
    ]);
    const bytes = (await readFile(join(dir, 'songs/songs.csv'))).length;
    assert.equal(manifest.songs.bytes, bytes);
  });

  it('quotes songs per RFC 4180 so every row parses back to 21 fields in order', async () => {
    const rows = parseCsv(await readFile(join(dir, 'songs/songs.csv'), 'utf8'));
    const [header, ...data] = rows;
    assert.equal(header?.length, 21);
    assert.equal(header?.[0], 'id');
    assert.equal(header?.[20], 'track_genre');
    assert.equal(data.length, manifest.songs.rows);
    assert.equal(data.length, 114 * 150);
    data.forEach((r, i) => {
      assert.equal(r.length, 21, `row ${i}`);
      assert.equal(r[0], String(i));
    });
    const names = data.map((r) => r[4]!);
    assert.ok(
      names.some((n) => n.includes(',')),
      'a name with a comma',
    );
    assert.ok(
      names.some((n) => n.includes('"')),
      'a name with a quote',
    );
    assert.ok(
      names.some((n) => /[\u3040-\u30ff\u0400-\u04ff\u0600-\u06ff]/.test(n)),
      'non-Latin',
    );
    assert.ok(
      names.some((n) => /\p{Extended_Pictographic}/u.test(n)),
      'emoji',
    );
    assert.equal(names.filter((n) => n === '').length, manifest.songs.emptyNameRows);
    assert.equal(new Set(data.map((r) => r[20])).size, 114);
  });

  it('lists about 20% of distinct track ids under two or more genres, same name and duration', async () => {
    const data = parseCsv(await readFile(join(dir, 'songs/songs.csv'), 'utf8')).slice(1);
    const genres = new Map<string, Set<string>>();
    const firstSeen = new Map<string, string[]>();
    for (const r of data) {
      const id = r[1]!;
      if (!genres.has(id)) genres.set(id, new Set());
      genres.get(id)!.add(r[20]!);
      if (!firstSeen.has(id)) firstSeen.set(id, r);
    }
    const multi = [...genres.values()].filter((g) => g.size > 1).length;
    assert.equal(genres.size, manifest.songs.distinctTracks);
    assert.equal(multi, manifest.songs.multiGenreTracks);
    const fraction = multi / genres.size;
    assert.ok(fraction > 0.15 && fraction < 0.25, `multi-genre fraction ${fraction}`);
    // Rows repeating a track in another genre carry the same name and duration.
    const seenPair = new Set<string>();
    for (const r of data) {
      const pair = `${r[1]}\u0000${r[20]}`;
      if (seenPair.has(pair)) continue;
      seenPair.add(pair);
      const first = firstSeen.get(r[1]!)!;
      assert.equal(r[4], first[4]);
      assert.equal(r[6], first[6]);
    }
  });

  it('counts rows and each kind of dirty row exactly as the files contain them', async () => {
    const songs = parseCsv(await readFile(join(dir, 'songs/songs.csv'), 'utf8')).slice(1);
    const known = new Set(songs.map((r) => r[1]!));
    const users = parseCsv(await readFile(join(dir, 'users/users.csv'), 'utf8')).slice(1);
    assert.equal(users.length, manifest.users.rows);
    const userIds = new Set(users.map((r) => r[0]));
    const counted = {
      invalidUserId: 0,
      invalidListenTime: 0,
      emptyTrackId: 0,
      unknownTrack: 0,
      raggedRow: 0,
    };
    let rows = 0;
    let unknownUsers = 0;
    for (const [i, file] of manifest.streams.files.entries()) {
      const parsed = parseCsv(await readFile(join(dir, file.path), 'utf8'));
      assert.deepEqual(parsed[0], ['user_id', 'track_id', 'listen_time']);
      const data = parsed.slice(1);
      assert.equal(data.length, file.rows, `file ${i}`);
      rows += data.length;
      for (const r of data) {
        if (r.length !== 3) counted.raggedRow++;
        else if (!/^\d+$/.test(r[0]!.trim()) || Number(r[0]) <= 0) counted.invalidUserId++;
        else if (r[1]!.trim() === '') counted.emptyTrackId++;
        else if (!streamRowSchema.shape.listen_time.safeParse(r[2]).success)
          counted.invalidListenTime++;
        else if (!known.has(r[1]!.trim())) counted.unknownTrack++;
        else if (!userIds.has(r[0]!.trim())) unknownUsers++;
      }
    }
    assert.equal(rows, 30_000);
    assert.deepEqual(counted, manifest.streams.totals.dirty);
    assert.equal(
      manifest.streams.totals.dirtyRows,
      Object.values(counted).reduce((a, b) => a + b),
    );
    assert.equal(manifest.streams.totals.validRows, rows - manifest.streams.totals.dirtyRows);
    assert.equal(unknownUsers, manifest.streams.totals.unknownUserRows);
    assert.ok(manifest.streams.totals.dirtyRows > 1000, 'about 5% dirty');
    for (const n of Object.values(counted)) assert.ok(n > 0);
  });

  it('skews listens towards a few popular tracks', async () => {
    const counts = new Map<string, number>();
    const file = manifest.streams.files[0]!;
    for (const r of parseCsv(await readFile(join(dir, file.path), 'utf8')).slice(1)) {
      counts.set(r[1]!, (counts.get(r[1]!) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top1pc = sorted.slice(0, Math.ceil(sorted.length / 100)).reduce((a, b) => a + b, 0);
    assert.ok(top1pc > file.rows * 0.1, `top 1% of tracks got ${top1pc} of ${file.rows} listens`);
  });

  it('spreads listens over the configured days with overlapping files', () => {
    assert.deepEqual(manifest.streams.totals.dates, [
      '2024-06-25',
      '2024-06-26',
      '2024-06-27',
      '2024-06-28',
    ]);
    const [a, b] = manifest.streams.files;
    assert.ok(
      a!.dates.some((d) => b!.dates.includes(d)),
      'two files share a date',
    );
  });

  it('gzips every file to the same content when asked', async () => {
    const gz = join(root, 'gz');
    const m = await generateDataset({ ...SMALL, dir: gz, gzip: true });
    assert.equal(m.streams.files[1]!.path, 'streams/streams-0002.csv.gz');
    const plain = await readFile(join(dir, 'streams/streams-0002.csv'));
    assert.ok(gunzipSync(await readFile(join(gz, 'streams/streams-0002.csv.gz'))).equals(plain));
    const songs = await readFile(join(dir, 'songs/songs.csv'));
    assert.ok(gunzipSync(await readFile(join(gz, 'songs/songs.csv.gz'))).equals(songs));
  });

  it('rejects bad options before writing anything', async () => {
    const target = join(root, 'never');
    await assert.rejects(generateDataset({ dir: target, dirtyRate: 2 }), OptionsError);
    await assert.rejects(generateDataset({ dir: target, startDate: '2024-02-30' }), /startDate/);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
  });
});
