import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createKpiState } from '../src/aggregate/kpi-state.js';
import {
  deserializeKpiState,
  finalizeKpis,
  kpiStateDates,
  mergeKpiStateInto,
  mergeKpiStates,
  PipelineError,
  pickKpiDates,
  type SongRow,
  type StreamRow,
  serializeKpiState,
  serializeKpiStateByDate,
  songsTableFromRows,
} from '../src/index.js';
import { runKpis } from './helpers/kpi-fixtures.js';
import { oracleKpis } from './helpers/oracle.js';

const GENRES = ['pop', 'rock', 'jazz', 'Pop', 'ambient', 'metal', 'folk'];
const songArb = fc.record({
  track_id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  track_name: fc.constantFrom('', 'One', 'Two', 'two', 'Ωmega'),
  duration_ms: fc.integer({ min: 0, max: 300_000 }),
  track_genre: fc.constantFrom(...GENRES),
});
const streamArb = fc.record({
  user_id: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(5_000_000_000)),
  track_id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'nope'),
  listen_time: fc
    .record({
      day: fc.integer({ min: 24, max: 27 }),
      hour: fc.integer({ min: 0, max: 23 }),
      z: fc.constantFrom('', 'Z', '+05:45'),
    })
    .map((p) => `2024-06-${p.day} ${String(p.hour).padStart(2, '0')}:30:00${p.z}`),
});

/** Random split of `rows` into `parts` files (some possibly empty). */
const splitArb = fc
  .record({
    songs: fc.array(songArb, { minLength: 1, maxLength: 10 }),
    streams: fc.array(streamArb, { maxLength: 50 }),
    parts: fc.integer({ min: 1, max: 5 }),
    seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    timeZone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kathmandu'),
  })
  .map((c) => ({
    ...c,
    files: Array.from({ length: c.parts }, (_, p) =>
      c.streams.filter((_, i) => (c.seed[i] ?? 0) % c.parts === p),
    ),
    order: [...Array(c.parts).keys()].sort((x, y) => (c.seed[x + 50] ?? 0) - (c.seed[y + 50] ?? 0)),
  }));

describe('kpi-state', () => {
  it('aggregating random files separately and merging the partials in random order (through bytes) equals the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, streams, files, order, timeZone }) => {
        const table = songsTableFromRows(songs);
        const partials: Uint8Array[] = [];
        for (const file of files) {
          const { state } = await runKpis(songs, file, { timeZone, table });
          partials.push(serializeKpiState(state));
        }
        const states = order.map((i) => deserializeKpiState(partials[i]!));
        const merged = mergeKpiStates(states[0]!, ...states.slice(1));
        assert.deepEqual(finalizeKpis(merged), oracleKpis(songs, streams, { timeZone }));
      }),
      { numRuns: 100 },
    );
  });

  it('one partial per (file, date), merged per date, equals the oracle (the exactly-once layout)', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, streams, files }) => {
        const byDate = new Map<string, Uint8Array[]>();
        for (const file of files) {
          const { state } = await runKpis(songs, file);
          for (const date of kpiStateDates(state)) {
            const list = byDate.get(date) ?? [];
            list.push(serializeKpiState(pickKpiDates(state, [date])));
            byDate.set(date, list);
          }
        }
        const items = [...byDate.keys()].sort().flatMap((date) => {
          const parts = byDate.get(date)!.map((b) => deserializeKpiState(b));
          const merged = mergeKpiStates(parts[0]!, ...parts.slice(1));
          assert.deepEqual(kpiStateDates(merged), [date]);
          return finalizeKpis(merged);
        });
        assert.deepEqual(items, oracleKpis(songs, streams));
      }),
      { numRuns: 60 },
    );
  });

  it('serializeKpiStateByDate gives, per date, the bytes of pickKpiDates + serializeKpiState, for bound, unbound and merged states', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, files }) => {
        const table = songsTableFromRows(songs);
        const states = await Promise.all(
          files.map(async (f) => (await runKpis(songs, f, { table })).state),
        );
        const bound = states[0]!;
        const candidates = [
          bound,
          deserializeKpiState(serializeKpiState(bound)),
          mergeKpiStates(bound, ...states.slice(1)),
        ];
        for (const state of candidates) {
          const byDate = serializeKpiStateByDate(state);
          assert.deepEqual(
            byDate.map((p) => p.date),
            kpiStateDates(state),
          );
          for (const { date, bytes } of byDate) {
            assert.deepEqual(bytes, serializeKpiState(pickKpiDates(state, [date])));
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  it('a state read bound to a songs table equals the unbound read and merges with that table’s states, even with tracks the table lacks', async () => {
    await fc.assert(
      fc.asyncProperty(
        splitArb,
        fc.array(songArb, { minLength: 1, maxLength: 10 }),
        async ({ songs, files }, otherSongs) => {
          const table = songsTableFromRows(songs);
          // Partials written with another songs table: some entries are unknown to `table`.
          const written = serializeKpiState((await runKpis(otherSongs, files[0] ?? [])).state);
          const bound = deserializeKpiState(written, { songs: table });
          assert.deepEqual(serializeKpiState(bound), written);
          assert.deepEqual(finalizeKpis(bound), finalizeKpis(deserializeKpiState(written)));
          const local = (await runKpis(songs, files[1] ?? [], { table })).state;
          const viaBound = mergeKpiStates(bound, local);
          const viaStrings = mergeKpiStates(deserializeKpiState(written), local);
          assert.deepEqual(serializeKpiState(viaBound), serializeKpiState(viaStrings));
          mergeKpiStateInto(bound, local);
          assert.deepEqual(serializeKpiState(bound), serializeKpiState(viaStrings));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('deserializeKpiState rejects a `songs` option that is not a SongsTable', () => {
    const bytes = serializeKpiState(createKpiState());
    assert.throws(
      () => deserializeKpiState(bytes, { songs: {} as never }),
      (e: unknown) => e instanceof PipelineError && e.code === 'KPI_STATE_OPTIONS',
    );
  });

  it('merge is associative and commutative, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, files }) => {
        const [a, b, c] = await Promise.all(
          [files[0] ?? [], files[1] ?? [], files[2] ?? []].map(
            async (f) => (await runKpis(songs, f)).state,
          ),
        );
        const ab_c = serializeKpiState(mergeKpiStates(mergeKpiStates(a!, b!), c!));
        const a_bc = serializeKpiState(mergeKpiStates(a!, mergeKpiStates(b!, c!)));
        const cba = serializeKpiState(mergeKpiStates(c!, b!, a!));
        assert.deepEqual(a_bc, ab_c);
        assert.deepEqual(cba, ab_c);
        assert.deepEqual(
          serializeKpiState(mergeKpiStates(b!, a!)),
          serializeKpiState(mergeKpiStates(a!, b!)),
        );
      }),
      { numRuns: 60 },
    );
  });

  const songs: SongRow[] = [
    { track_id: 'a', track_name: 'Á, "quoted"', duration_ms: 1234, track_genre: 'pop' },
    { track_id: 'a', track_name: 'A', duration_ms: 1234, track_genre: 'rock' },
    { track_id: 'b', track_name: '', duration_ms: 99, track_genre: 'pop' },
  ];
  const streams: StreamRow[] = [
    { user_id: 1, track_id: 'a', listen_time: '2024-06-25 01:00:00' },
    { user_id: 9_007_199_254_740_991, track_id: 'b', listen_time: '2024-06-25 02:00:00' },
    { user_id: 3, track_id: 'a', listen_time: '2024-06-26 02:00:00' },
  ];

  it('serialize → deserialize round-trips and is canonical', async () => {
    const { state } = await runKpis(songs, streams);
    const bytes = serializeKpiState(state);
    const back = deserializeKpiState(bytes);
    assert.deepEqual(finalizeKpis(back), finalizeKpis(state));
    assert.deepEqual(serializeKpiState(back), bytes);
    assert.deepEqual(kpiStateDates(back), ['2024-06-25', '2024-06-26']);
    const empty = deserializeKpiState(serializeKpiState(createKpiState()));
    assert.deepEqual(finalizeKpis(empty), []);
  });

  it('merging does not modify its inputs', async () => {
    const { state: a } = await runKpis(songs, streams.slice(0, 2));
    const { state: b } = await runKpis(songs, streams.slice(1));
    const before = serializeKpiState(a);
    mergeKpiStates(a, b);
    assert.deepEqual(serializeKpiState(a), before);
  });

  it('pickKpiDates keeps only the named dates and rejects malformed dates', async () => {
    const { state } = await runKpis(songs, streams);
    const picked = pickKpiDates(state, ['2024-06-26', '2030-01-01']);
    assert.deepEqual(kpiStateDates(picked), ['2024-06-26']);
    assert.deepEqual(
      finalizeKpis(picked),
      finalizeKpis(state).filter((i) => i.date === '2024-06-26'),
    );
    assert.throws(
      () => pickKpiDates(state, ['2024-02-30']),
      (e: unknown) => e instanceof PipelineError && e.code === 'KPI_STATE_BAD_DATE',
    );
  });

  it('corrupt, truncated, foreign or future-version bytes fail with a clear PipelineError code', async () => {
    const { state } = await runKpis(songs, streams);
    const bytes = serializeKpiState(state);
    const isCode = (code: string) => (e: unknown) => e instanceof PipelineError && e.code === code;
    const flipped = bytes.slice();
    flipped[20] = flipped[20]! ^ 0xff;
    assert.throws(() => deserializeKpiState(flipped), isCode('KPI_STATE_CORRUPT'));
    assert.throws(
      () => deserializeKpiState(bytes.slice(0, bytes.length - 3)),
      isCode('KPI_STATE_CORRUPT'),
    );
    assert.throws(
      () => deserializeKpiState(new TextEncoder().encode('{"json":true}')),
      /bad magic/,
    );
    assert.throws(() => deserializeKpiState(new Uint8Array(0)), isCode('KPI_STATE_CORRUPT'));
    const future = bytes.slice();
    future[4] = 2;
    assert.throws(
      () => deserializeKpiState(future),
      (e: unknown) => isCode('KPI_STATE_VERSION')(e) && /version 2/.test(String(e)),
    );
  });

  it('states counting unique listeners differently refuse to merge', async () => {
    const { state: exact } = await runKpis(songs, streams);
    const { state: hll } = await runKpis(songs, streams, { uniqueListeners: 'hll' });
    assert.throws(
      () => mergeKpiStates(exact, hll),
      (e: unknown) => e instanceof PipelineError && e.code === 'KPI_STATE_MODE_MISMATCH',
    );
  });

  it('hll states round-trip through bytes and merge to the union estimate', async () => {
    const { state: a } = await runKpis(songs, streams.slice(0, 1), { uniqueListeners: 'hll' });
    const { state: b } = await runKpis(songs, streams.slice(1), { uniqueListeners: 'hll' });
    const merged = mergeKpiStates(
      deserializeKpiState(serializeKpiState(a)),
      deserializeKpiState(serializeKpiState(b)),
    );
    const items = finalizeKpis(merged);
    const exact = oracleKpis(songs, streams);
    assert.deepEqual(
      items.map((i) => [i.date, i.track_genre, i.listen_count, i.unique_listeners]),
      exact.map((i) => [i.date, i.track_genre, i.listen_count, i.unique_listeners]),
    );
  });
});
