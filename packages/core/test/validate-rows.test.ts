import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  memoryDeadLetter,
  OptionsError,
  pipeline,
  RunMetrics,
  toStreamStage,
  validateRows,
} from '../src/index.js';
import type { Dataset, RawRow } from '../src/types.js';
import { rowValidator } from '../src/validate/row-check.js';
import { rowSchemas } from '../src/validate/schemas.js';
import { collectBatches, testSource, toRowBatch, validRows } from './helpers/parse.js';

const source = testSource('streams.csv');

function row(line: number, fields: Record<string, string>, problem?: RawRow['problem']): RawRow {
  return problem === undefined ? { source, line, fields } : { source, line, fields, problem };
}

async function* batches(...list: RawRow[][]) {
  for (const rows of list) yield toRowBatch(rows);
}

describe('validate-rows', () => {
  it('valid rows pass through typed; rejected rows go to the dead letter with one reason per field', async () => {
    const deadLetter = memoryDeadLetter();
    const metrics = new RunMetrics();
    const stage = validateRows({ dataset: 'streams', deadLetter, metrics });
    const out = await collectBatches(
      toStreamStage(stage)(
        batches(
          [
            row(2, { user_id: '1', track_id: 't1', listen_time: '2024-06-25 17:43:13' }),
            row(3, { user_id: 'x', track_id: '', listen_time: '2024-06-25 17:43:13' }),
          ],
          [
            row(4, { user_id: '2', track_id: 't2' }),
            row(
              5,
              { user_id: '1', track_id: 't' },
              { reason: 'ragged_row', message: 'row has 2 cells, header has 3' },
            ),
            row(6, { user_id: '3', track_id: 't3', listen_time: '2024-06-25T17:43:13Z' }),
          ],
        ),
        { signal: new AbortController().signal },
      ),
    );
    assert.deepEqual(out.flatMap(validRows), [
      {
        source,
        line: 2,
        value: { user_id: 1, track_id: 't1', listen_time: '2024-06-25 17:43:13' },
      },
      {
        source,
        line: 6,
        value: { user_id: 3, track_id: 't3', listen_time: '2024-06-25T17:43:13Z' },
      },
    ]);
    assert.deepEqual(
      deadLetter.entries.map((e) => [e.line, e.reasons.map((r) => [r.reason, r.field])]),
      [
        [
          3,
          [
            ['invalid_user_id', 'user_id'],
            ['invalid_track_id', 'track_id'],
          ],
        ],
        [4, [['missing_field', 'listen_time']]],
        [5, [['ragged_row', undefined]]],
      ],
    );
    assert.deepEqual(deadLetter.entries[0]?.raw, {
      user_id: 'x',
      track_id: '',
      listen_time: '2024-06-25 17:43:13',
    });
    assert.equal(deadLetter.entries[0]?.source, source);
    assert.equal(metrics.rowsRejected, 3);
    assert.deepEqual(metrics.rejectedByReason, {
      invalid_user_id: 1,
      missing_field: 1,
      ragged_row: 1,
    });
  });

  it('the dead-letter write is awaited before the next batch is read (backpressure)', async () => {
    const events: string[] = [];
    const deadLetter = {
      async write() {
        events.push('write-start');
        await new Promise((resolve) => setImmediate(resolve));
        events.push('write-end');
      },
      async close() {},
    };
    async function* source2() {
      events.push('batch1');
      yield toRowBatch([row(2, { user_id: 'bad' })]);
      events.push('batch2');
      yield toRowBatch([row(3, { user_id: '5' })]);
    }
    await pipeline(source2())
      .through(validateRows({ dataset: 'users', deadLetter }))
      .to(async (batches) => {
        for await (const _ of batches);
      })
      .run();
    assert.deepEqual(events, ['batch1', 'write-start', 'write-end', 'batch2']);
  });

  it('bad options throw OptionsError', () => {
    assert.throws(
      () => validateRows({ dataset: 'plays' as never, deadLetter: memoryDeadLetter() }),
      OptionsError,
    );
    assert.throws(
      () => validateRows({ dataset: 'users', deadLetter: {} as never }),
      /DeadLetterSink/,
    );
  });

  it('the row check gives the zod schema’s verdict and value on random fields', () => {
    const value = fc.oneof(
      fc.constantFrom(
        '',
        ' ',
        '0',
        '7',
        '007',
        ' 7',
        '7 ',
        '-1',
        '1e3',
        '\u0661',
        'a',
        ' pop ',
        'pop',
        '\u00a0x',
      ),
      fc.constantFrom(
        '123456789012345',
        '1234567890123456',
        '9007199254740993',
        '2024-06-25 10:00:00',
      ),
      fc.string({ maxLength: 8 }),
    );
    const fieldsArb = fc.dictionary(
      fc.constantFrom(
        'user_id',
        'track_id',
        'listen_time',
        'track_name',
        'duration_ms',
        'track_genre',
        'x',
      ),
      value,
    );
    fc.assert(
      fc.property(
        fc.constantFrom('streams', 'songs', 'users') as fc.Arbitrary<Dataset>,
        fieldsArb,
        (dataset, fields) => {
          const check = rowValidator(dataset)(fields);
          const zod = rowSchemas[dataset].safeParse(fields);
          assert.equal(check.ok, zod.success);
          if (check.ok && zod.success) assert.deepEqual(check.value, zod.data);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('an aborted run stops before the first batch', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(
      pipeline(batches([row(2, { user_id: '5' })]))
        .through(validateRows({ dataset: 'users', deadLetter: memoryDeadLetter() }))
        .to(async (b) => {
          for await (const _ of b);
        })
        .run({ signal: controller.signal }),
      /stop/,
    );
  });
});
