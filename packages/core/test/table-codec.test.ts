import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError, SongsTable, UsersTable } from '../src/index.js';
import { songsTableFromRows } from '../src/join/songs-table-builder.js';
import { decodeTables, encodeTables } from '../src/join/table-codec.js';
import { usersTableFromIds } from '../src/join/users-table.js';
import { SONGS } from './helpers/kpi-fixtures.js';

/** A table of three tracks whose ids do not come in canonical order. */
function threeTracks() {
  return songsTableFromRows(
    ['b', 'a', 'c'].map((track_id, i) => ({
      track_id,
      track_name: `n${i}`,
      duration_ms: i,
      track_genre: 'pop',
    })),
  );
}

/** A copy of `bytes` with the header text `from` (which must be there) overwritten by `to`, as long. */
function rewritten(bytes: Uint8Array, from: string, to: string): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(from);
  assert.ok(at > 0);
  copy.write(to, at);
  return copy;
}

describe('encodeTables / decodeTables', () => {
  it('reads back a songs table that answers every lookup as the original does', () => {
    const { songs: back, users } = decodeTables(encodeTables(SONGS));
    assert.equal(users, undefined);
    assert.deepEqual(back.genres, SONGS.genres);
    assert.deepEqual(back.trackIds, SONGS.trackIds);
    assert.deepEqual(back.pairName, SONGS.pairName);
    assert.deepEqual([...back.pairStart], [...SONGS.pairStart]);
    assert.deepEqual([...back.pairGenre], [...SONGS.pairGenre]);
    assert.deepEqual([...back.pairDuration], [...SONGS.pairDuration]);
    for (const id of ['t1', 't2', 'Ａ😀', 't3', ''])
      assert.equal(back.trackOf(id), SONGS.trackOf(id));
    assert.deepEqual(back.stats, SONGS.stats);
    assert.deepEqual([...back.trackDictionary().pairEntry], [...SONGS.trackDictionary().pairEntry]);
  });

  it('reads back a table of short Latin-1 ids (keys held in the index slots)', () => {
    const ids = ['ANDkdYrwv4R9ejjSWnhfDU', 'a', 'café', '24-characters-long-id-00', 'ab'];
    const table = songsTableFromRows(
      ids.map((track_id, i) => ({
        track_id,
        track_name: `n${i}`,
        duration_ms: i,
        track_genre: 'pop',
      })),
    );
    assert.equal(table.indexParts.width, 8);
    const { songs: back } = decodeTables(encodeTables(table));
    assert.equal(back.indexParts.width, 8);
    assert.deepEqual(back.trackIds, ids);
    for (const id of [...ids, 'ANDkdYrwv4R9ejjSWnhfDV', 'caf', 'café\u0000', 'Ａ😀', ''])
      assert.equal(back.trackOf(id), ids.indexOf(id));
  });

  it('carries the encoded track dictionary, on shared memory, so a table read back does not encode its tracks again', () => {
    const table = threeTracks();
    const { songs: back } = decodeTables(encodeTables(table));
    const encoded = back.trackDictionary().encoded;
    assert.ok(encoded !== undefined, 'the decoded table holds the encoded entries before any use');
    for (const a of [encoded.order, encoded.start, encoded.bytes])
      assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.deepEqual([...encoded.order], [...table.trackDictionary().encoded!.order]);
    assert.deepEqual([...encoded.order], [1, 0, 2]);
    assert.deepEqual(back.kpiTrackDictionary(), table.kpiTrackDictionary());
  });

  it('rejects an encoded track dictionary that does not fit the dictionary with TABLES_CORRUPT', () => {
    const bytes = rewritten(
      encodeTables(threeTracks()),
      '"dictionary":{"size":3',
      '"dictionary":{"size":4',
    );
    assert.throws(
      () => decodeTables(bytes),
      (e: unknown) =>
        e instanceof PipelineError &&
        e.code === 'TABLES_CORRUPT' &&
        /encoded track dictionary/.test(e.message),
    );
  });

  it('refuses bytes of the previous format (an older cache is rebuilt, not misread)', () => {
    const bytes = rewritten(encodeTables(SONGS), 'streamkpi-tables/3', 'streamkpi-tables/2');
    assert.throws(
      () => decodeTables(bytes),
      (e: unknown) => e instanceof PipelineError && /streamkpi-tables\/3/.test(e.message),
    );
  });

  it('carries a users table along', () => {
    const given = usersTableFromIds([3, 1, 2 ** 40, 7]);
    const { users } = decodeTables(encodeTables(SONGS, given));
    assert.ok(users instanceof UsersTable);
    assert.deepEqual(
      [...users.ids()].sort((a, b) => a - b),
      [1, 3, 7, 2 ** 40],
    );
    assert.equal(users.has(7), true);
    assert.equal(users.has(8), false);
  });

  it('rejects bytes that are not an encoded table with TABLES_CORRUPT', () => {
    const bytes = encodeTables(SONGS);
    const cases = [
      new Uint8Array(3),
      bytes.subarray(0, bytes.length - 8),
      Uint8Array.from(bytes, (b, i) => (i === 9 ? 0x41 : b)),
    ];
    for (const bad of cases) {
      assert.throws(
        () => decodeTables(bad),
        (e: unknown) => e instanceof PipelineError && e.code === 'TABLES_CORRUPT',
      );
    }
  });

  it('is what SongsTable#toBytes and SongsTable.fromBytes read and write', () => {
    const users = usersTableFromIds([7, 3]);
    const bytes = SONGS.toBytes(users);
    assert.deepEqual(bytes, encodeTables(SONGS, users));
    const back = SongsTable.fromBytes(bytes);
    assert.deepEqual(back.songs.trackIds, SONGS.trackIds);
    assert.deepEqual([...back.users!.ids()].sort(), [3, 7]);
    assert.throws(
      () => SongsTable.fromBytes(bytes.subarray(0, 4)),
      (e: unknown) => e instanceof PipelineError && e.code === 'TABLES_CORRUPT',
    );
  });
});
