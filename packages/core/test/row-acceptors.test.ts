/**
 * The row acceptors against the zod schemas: whatever an acceptor's fast
 * path takes, the schema takes too, with the same value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rowFields } from '../src/internal/row-batch.js';
import type { RowBatch } from '../src/types.js';
import {
  fastListenAt,
  fastUserId,
  isTrimmedNonEmpty,
  listenRead,
} from '../src/validate/internal/field-readers.js';
import { rowAcceptors } from '../src/validate/row-acceptors.js';
import { rowSchemas, streamRowSchema } from '../src/validate/schemas.js';
import { isValidTimestamp, parseTimestampParts } from '../src/validate/time.js';

const source = { id: 'test:acceptors', key: 'x.csv' };

const cellArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      '0',
      '1',
      '9',
      ' ',
      '\u00a0',
      '\u0663',
      '-',
      '+',
      '.',
      'e',
      'x',
      ':',
      'T',
    ),
  }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  fc.constantFrom(
    '2024-06-25 17:43:13',
    '2024-02-29T00:00:00Z',
    '2023-02-29 10:00:00',
    ' 2024-06-25 17:43:13',
    '2024-06-25 17:43:13.5+05:30',
  ),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 19 }),
      fc.integer({ min: 0, max: 39 }),
      fc.constantFrom('', 'Z', '+01:00', '-0130', '+24', '.123', '.'),
    )
    .map(
      ([y, m, d, z]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')} 12:30:00${z}`,
    ),
);

function oneRow(columns: string[], cells: (string | undefined)[]): RowBatch {
  return {
    source,
    length: 1,
    columns,
    cells,
    starts: [0, cells.length],
    lines: [2],
    problems: undefined,
  };
}

describe('row acceptors', () => {
  for (const dataset of ['streams', 'songs', 'users'] as const) {
    it(`${dataset}: the fast path takes only what the schema takes, with the same value`, () => {
      const acceptor = rowAcceptors[dataset];
      const columns = [...acceptor.fields];
      fc.assert(
        fc.property(
          fc.array(fc.option(cellArb, { nil: undefined }), {
            minLength: columns.length,
            maxLength: columns.length,
          }),
          (cells) => {
            const batch = oneRow(columns, cells);
            const out = acceptor.create(source) as {
              length: number;
              values: Record<string, unknown[]>;
            };
            const index = Int32Array.from(columns, (_, i) => i);
            const took = acceptor.fast(out as never, cells, 0, cells.length, index, 2);
            const zod = rowSchemas[dataset].safeParse(rowFields(batch, 0));
            if (!took) {
              assert.equal(out.length, 0);
              return;
            }
            assert.ok(zod.success, JSON.stringify(cells));
            const value = Object.fromEntries(Object.entries(out.values).map(([k, v]) => [k, v[0]]));
            assert.deepEqual(value, zod.data);
          },
        ),
        { numRuns: 3000 },
      );
    });
  }

  it('streams: plainly valid rows take the fast path', () => {
    const out = rowAcceptors.streams.create(source);
    const cells = ['4027', 't1', '2024-06-26T16:34:18.250+05:30'];
    assert.ok(rowAcceptors.streams.fast(out, cells, 0, 3, Int32Array.of(0, 1, 2), 2));
    assert.deepEqual([out.values.user_id, out.listenZoned], [[4027], [1]]);
  });
});

describe('field readers', () => {
  it('read only what the schema accepts, with the strict parser’s instant', () => {
    fc.assert(
      fc.property(cellArb, (s) => {
        const id = fastUserId(s);
        if (id > 0) {
          const zod = streamRowSchema.shape.user_id.safeParse(s);
          assert.ok(zod.success, `user_id ${JSON.stringify(s)}`);
          assert.equal(zod.data, id);
        }
        if (isTrimmedNonEmpty(s)) assert.equal(streamRowSchema.shape.track_id.parse(s), s);
        if (fastListenAt(s)) {
          assert.ok(isValidTimestamp(s), `listen_time ${JSON.stringify(s)}`);
          const parts = parseTimestampParts(s)!;
          assert.equal(listenRead.zoned[0], parts.offsetMinutes === undefined ? 0 : 1);
          assert.equal(listenRead.instant[0], parts.wallMs - (parts.offsetMinutes ?? 0) * 60_000);
        }
      }),
      { numRuns: 5000 },
    );
    assert.ok(fastListenAt('2024-06-26 16:34:18'));
    assert.deepEqual(
      [listenRead.instant[0], listenRead.zoned[0]],
      [Date.UTC(2024, 5, 26, 16, 34, 18), 0],
    );
    assert.ok(fastListenAt('2024-06-26T16:34:18+02:00'));
    assert.deepEqual(
      [listenRead.instant[0], listenRead.zoned[0]],
      [Date.UTC(2024, 5, 26, 14, 34, 18), 1],
    );
    assert.ok(!fastListenAt('2024-02-30 16:34:18'));
  });
});
