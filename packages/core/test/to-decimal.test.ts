import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decimal } from 'decimal.js';
import { toDecimal, toDecimalString } from '../src/finalize/to-decimal.js';
import { type KpiItem, kpiItemToDecimal, OptionsError } from '../src/index.js';

const item: KpiItem = {
  date: '2024-06-25',
  track_genre: 'pop',
  listen_count: 3,
  unique_listeners: 2,
  total_listening_time: 9_007_199_254_740_991,
  avg_listening_time_per_user: '183.40',
  top_3_songs: 'A',
  top_songs: [{ track_id: 'a', track_name: 'A', listen_count: 3 }],
  top_5_genres: 'pop',
};

test('turns every numeric field into an exact decimal string', () => {
  assert.deepEqual(kpiItemToDecimal(item), {
    ...item,
    listen_count: '3',
    unique_listeners: '2',
    total_listening_time: '9007199254740991',
    avg_listening_time_per_user: '183.40',
    top_songs: [{ track_id: 'a', track_name: 'A', listen_count: '3' }],
  });
});

test('toDecimalString is exact and refuses what is not a finite decimal', () => {
  assert.equal(toDecimalString(0.1), '0.1');
  assert.equal(toDecimalString(-1.25e-3), '-0.00125');
  assert.equal(toDecimalString(new Decimal('1e-7')), '0.0000001');
  assert.equal(toDecimalString('12.50'), '12.50');
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2]) {
    assert.throws(
      () => toDecimalString(bad),
      (e: unknown) => (e as { code?: string }).code === 'NOT_A_DECIMAL',
    );
  }
  assert.throws(() => toDecimalString('12,5'), /Not a decimal/);
});

test('the stage converts batch by batch', async () => {
  const out = [];
  for await (const batch of toDecimal()([[item], [], [item]])) out.push(batch.length);
  assert.deepEqual(out, [1, 0, 1]);
});

test('unknown options are rejected', () => {
  assert.throws(() => toDecimal({ precision: 3 } as never), OptionsError);
});
