import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  aggregateStreamFile,
  deserializeKpiState,
  finalizeKpis,
  KpiState,
  memoryDeadLetter,
  mergeKpiStates,
  type SongRow,
  serializeKpiState,
  songsTableFromRows,
} from '@streamkpi/core';
import { readObjectBytes } from '@streamkpi/s3-source';
import { decodeSnapshot } from '../src/snapshot.js';
import { BUCKET, LISTENS, SONGS, songsCsv, streamsCsv, useEmulators } from './helpers/e2e.js';
import { byKey, kpiFields } from './helpers/kpi-fixtures.js';

const env = useEmulators();

const bytesOf = async (key: string) => {
  const bytes = await readObjectBytes({ client: env.s3, bucket: BUCKET, key });
  assert.ok(bytes, key);
  return bytes;
};

/** The state bytes of every partial and current snapshot below `root`. */
async function stateObjects(root: string): Promise<{ key: string; state: Uint8Array }[]> {
  const out: { key: string; state: Uint8Array }[] = [];
  for (const key of await env.keys(`${root}state/partials/`)) {
    out.push({ key, state: await bytesOf(key) });
  }
  for (const key of await env.keys(`${root}state/snapshots/`)) {
    out.push({ key, state: decodeSnapshot(await bytesOf(key), key).state });
  }
  return out;
}

/** The KPIs of the files, each aggregated with its own songs rows, through v1 states. */
async function batchKpis(files: readonly { songs: SongRow[]; csv: string }[]) {
  const states = await Promise.all(
    files.map(async ({ songs, csv }, i) => {
      const { state } = await aggregateStreamFile([Buffer.from(csv)], {
        source: { id: `batch://${i}.csv`, key: `${i}.csv` },
        songs: songsTableFromRows(songs),
        deadLetter: memoryDeadLetter(),
      });
      return deserializeKpiState(serializeKpiState(state));
    }),
  );
  return finalizeKpis(mergeKpiStates(states[0]!, ...states.slice(1)))
    .map((item) => ({ ...kpiFields(item) }))
    .sort(byKey);
}

const tableOf = async (tableName: string) => (await env.tableItems(tableName)).sort(byKey as never);

describe('run-kpis, track dictionary by reference', () => {
  for (const threads of [0, 2]) {
    it(`stores partials and snapshots as v2 next to their dictionary (threads: ${threads})`, async () => {
      const root = `v2-${threads}/`;
      await env.put(`${root}songs/songs.csv`, songsCsv());
      await env.put(`${root}streams/a.csv`, LISTENS.a);
      await env.put(`${root}streams/b.csv`, LISTENS.b);
      const tableName = `kpis_v2_${threads}`;
      const summary = await env.run({ prefix: root, tableName, threads });
      assert.equal(summary.ok, true);
      const dictionaries = await env.keys(`${root}state/dictionaries/`);
      assert.equal(dictionaries.length, 1);
      const id = /([0-9a-f]{32})\.kpid$/.exec(dictionaries[0]!)?.[1];
      assert.equal(id, songsTableFromRows(SONGS).kpiTrackDictionary().id);
      const stored = new Map([[id!, await bytesOf(dictionaries[0]!)]]);
      const objects = await stateObjects(root);
      assert.ok(objects.length >= 5, `${objects.length} state objects`);
      for (const { key, state } of objects) {
        assert.equal(state[4], 2, key);
        assert.equal(KpiState.referencedDictionaryId(state), id, key);
        // The stored dictionary is the one they reference: they read without a songs table.
        assert.ok(deserializeKpiState(state, { dictionaries: stored }).days.size > 0, key);
      }
      assert.deepEqual(
        await tableOf(tableName),
        await batchKpis([
          { songs: SONGS, csv: LISTENS.a + LISTENS.b.slice(LISTENS.b.indexOf('\n') + 1) },
        ]),
      );
    });
  }

  for (const threads of [0, 2]) {
    it(`a run after the songs file changed merges the old v2 snapshot with new partials (threads: ${threads})`, async () => {
      const root = `changed-${threads}/`;
      const tableName = `kpis_changed_${threads}`;
      const first = streamsCsv([
        { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
        { user_id: 2, track_id: 't2', listen_time: '2024-06-25 11:00:00' },
        { user_id: 3, track_id: 't3', listen_time: '2024-06-25 12:00:00' },
      ]);
      await env.put(`${root}songs/songs.csv`, songsCsv());
      await env.put(`${root}streams/a.csv`, first);
      assert.equal((await env.run({ prefix: root, tableName, threads })).ok, true);
      // t2 renamed, t3 gone, t5 new: the old snapshot has entries the new table lacks.
      const changed: SongRow[] = [
        ...SONGS.filter((s) => s.track_id !== 't2' && s.track_id !== 't3'),
        { track_id: 't2', track_name: 'Second', duration_ms: 185_123, track_genre: 'pop' },
        { track_id: 't5', track_name: 'Five', duration_ms: 120_000, track_genre: 'jazz' },
      ];
      const second = streamsCsv([
        { user_id: 4, track_id: 't2', listen_time: '2024-06-25 13:00:00' },
        { user_id: 1, track_id: 't5', listen_time: '2024-06-25 14:00:00' },
        { user_id: 5, track_id: 't1', listen_time: '2024-06-25 15:00:00' },
      ]);
      await env.put(`${root}songs/songs.csv`, songsCsv(changed));
      await env.put(`${root}streams/b.csv`, second);
      const summary = await env.run({ prefix: root, tableName, threads });
      assert.equal(summary.ok, true);
      assert.equal(summary.objects.processed, 1);
      const ids = [SONGS, changed].map((s) => songsTableFromRows(s).kpiTrackDictionary().id);
      assert.deepEqual(
        (await env.keys(`${root}state/dictionaries/`)).sort(),
        ids.map((id) => `${root}state/dictionaries/${id}.kpid`).sort(),
      );
      assert.deepEqual(
        await tableOf(tableName),
        await batchKpis([
          { songs: SONGS, csv: first },
          { songs: changed, csv: second },
        ]),
      );
    });
  }

  it('a snapshot whose stored dictionary is gone fails its commit with KPI_STATE_DICTIONARY_MISSING, the table unchanged', async () => {
    const root = 'missing/';
    const tableName = 'kpis_dict_missing';
    const first = streamsCsv([
      { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
      { user_id: 2, track_id: 't2', listen_time: '2024-06-25 11:00:00' },
    ]);
    await env.put(`${root}songs/songs.csv`, songsCsv());
    await env.put(`${root}streams/a.csv`, first);
    assert.equal((await env.run({ prefix: root, tableName, threads: 0 })).ok, true);
    const before = await tableOf(tableName);
    const { id } = songsTableFromRows(SONGS).kpiTrackDictionary();
    await env.s3.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: `${root}state/dictionaries/${id}.kpid` }),
    );
    // Other songs: the snapshot of 2024-06-25 references a dictionary that is not the run's.
    const changed: SongRow[] = [
      ...SONGS,
      { track_id: 't5', track_name: 'Five', duration_ms: 120_000, track_genre: 'jazz' },
    ];
    await env.put(`${root}songs/songs.csv`, songsCsv(changed));
    await env.put(
      `${root}streams/b.csv`,
      streamsCsv([{ user_id: 3, track_id: 't5', listen_time: '2024-06-25 12:00:00' }]),
    );
    const summary = await env.run({ prefix: root, tableName, threads: 0 });
    assert.equal(summary.ok, false);
    const causes = (error: unknown): string[] =>
      error instanceof Error ? [`${error.name} ${error.message}`, ...causes(error.cause)] : [];
    const messages = summary.failures.flatMap((f) => causes(f.error));
    assert.ok(
      messages.some((m) => m.includes('KPI_STATE_DICTIONARY_MISSING') || m.includes(id)),
      messages.join('\n'),
    );
    assert.deepEqual(await tableOf(tableName), before);
    // The object is not archived: a run once the dictionary is back commits it.
    assert.deepEqual(await env.keys(`${root}streams/b.csv`), [`${root}streams/b.csv`]);
  });
});
