import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decimal } from 'decimal.js';
import { kpiItemToDecimal } from '../src/finalize/to-decimal.js';
import {
  type KpiItem,
  OptionsError,
  PipelineError,
  toDecimal,
  toDecimalString,
} from '../src/index.js';

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

describe('toDecimal', () => {
  it('turns every numeric field into an exact decimal string', () => {
    assert.deepEqual(kpiItemToDecimal(item), {
      ...item,
      listen_count: '3',
      unique_listeners: '2',
      total_listening_time: '9007199254740991',
      avg_listening_time_per_user: '183.40',
      top_songs: [{ track_id: 'a', track_name: 'A', listen_count: '3' }],
    });
  });

  it('toDecimalString writes safe integers, plain decimal strings and Decimals exactly', () => {
    assert.equal(toDecimalString(12), '12');
    assert.equal(toDecimalString('12.50'), '12.50');
    assert.equal(toDecimalString('-0.05'), '-0.05');
    assert.equal(toDecimalString(new Decimal('1e-7')), '0.0000001');
    assert.equal(toDecimalString('90071992547409930', 'integer'), '90071992547409930');
    assert.equal(toDecimalString(new Decimal('1e20'), 'integer'), '100000000000000000000');
  });

  it('toDecimalString refuses floats, exponents and what is not a finite decimal', () => {
    const bad: [unknown, 'integer' | 'decimal'][] = [
      [Number.NaN, 'decimal'],
      [Number.POSITIVE_INFINITY, 'decimal'],
      [2 ** 53 + 2, 'integer'],
      [0.1 + 0.2, 'decimal'],
      ['1e3', 'decimal'],
      ['12,5', 'decimal'],
      ['1.5', 'integer'],
      [new Decimal('1.5'), 'integer'],
      [new Decimal(Number.POSITIVE_INFINITY), 'decimal'],
      [null, 'decimal'],
    ];
    for (const [value, kind] of bad) {
      assert.throws(
        () => toDecimalString(value, kind),
        (e: unknown) =>
          e instanceof PipelineError && e.code === 'NOT_A_DECIMAL' && /^Expected /.test(e.message),
        `${String(value)} as ${kind}`,
      );
    }
  });

  it('the stage converts batch by batch', async () => {
    const out = [];
    for await (const batch of toDecimal()([[item], [], [item]])) out.push(batch.length);
    assert.deepEqual(out, [1, 0, 1]);
  });

  it('unknown options are rejected', () => {
    assert.throws(() => toDecimal({ precision: 3 } as never), OptionsError);
  });

  it('stops between batches when the signal aborts', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const stage = toDecimal();
    await assert.rejects(
      async () => {
        for await (const batch of stage([[item], [item], [item]], {
          signal: controller.signal,
        } as never)) {
          seen.push(batch.length);
          controller.abort();
        }
      },
      { name: 'AbortError' },
    );
    assert.deepEqual(seen, [1]);
  });
});

describe('toDecimal, bad input', () => {
  it('rejects an item holding a binary float with NOT_A_DECIMAL, after the batches before it', async () => {
    const out: number[] = [];
    const float = { ...item, total_listening_time: 0.1 + 0.2 };
    await assert.rejects(
      async () => {
        for await (const batch of toDecimal()([[item], [float]])) out.push(batch.length);
      },
      {
        name: 'PipelineError',
        code: 'NOT_A_DECIMAL',
        message:
          'Expected a safe integer, an integer string or an integer Decimal, got 0.30000000000000004',
      },
    );
    assert.deepEqual(out, [1]);
  });
});
