import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  type Batch,
  type BatchSink,
  type BatchStage,
  memoryDeadLetter,
  OptionsError,
  parseFile,
  pipeline,
  RunMetrics,
  type StreamRow,
  validateRows,
} from '../src/index.js';
import { chunked, countRows, testSource } from './helpers/parse.js';

const header = 'user_id,track_id,listen_time\n';

function streamsCsv(rows: number, badEvery: number): string {
  let text = header;
  for (let i = 1; i <= rows; i++) {
    text +=
      i % badEvery === 0 ? `x${i},t${i},2024-06-25 17:43:13\n` : `${i},t${i},2024-06-25 17:43:13\n`;
  }
  return text;
}

describe('pipeline', () => {
  it('parse → validate → counting sink: summary obeys rowsRead = rowsAggregated + rowsRejected per source', async () => {
    const deadLetter = memoryDeadLetter();
    const a = testSource('streams/a.csv');
    const b = testSource('streams/b.csv');
    const metrics = new RunMetrics();
    async function* both() {
      yield* parseFile({ source: a, dataset: 'streams', batchSize: 64, metrics })(
        chunked(streamsCsv(1000, 7), 333),
      );
      yield* parseFile({ source: b, dataset: 'streams', batchSize: 64, metrics })(
        chunked(`${streamsCsv(500, 10)}1,2\n`, 100),
      );
    }
    const { value, summary } = await pipeline(both())
      .through(validateRows({ dataset: 'streams', deadLetter, metrics }))
      .to(countRows<StreamRow>())
      .run({ metrics });
    assert.equal(value, summary.rowsAggregated);
    assert.equal(summary.rowsRead, 1501);
    assert.equal(summary.rowsRejected, 142 + 50 + 1);
    assert.equal(summary.rowsRead, summary.rowsAggregated + summary.rowsRejected);
    assert.deepEqual(summary.rejectedByReason, { invalid_user_id: 192, ragged_row: 1 });
    assert.equal(deadLetter.entries.length, summary.rowsRejected);
    for (const [id, counts] of Object.entries(summary.sources)) {
      assert.equal(counts.rowsRead, counts.rowsAggregated + counts.rowsRejected, id);
    }
    assert.equal(summary.sources[a.id]?.rowsRead, 1000);
    assert.equal(summary.sources[b.id]?.rowsRejected, 51);
    const stage = summary.stages.find((s) => s.name === 'validate');
    assert.equal(stage?.recordsIn, 1501);
    assert.equal(stage?.recordsOut, summary.rowsAggregated);
    assert.ok(summary.peakRssBytes > 0);
    assert.ok(summary.durationMs >= 0);
  });

  it('an error in a middle stage wins, and the source cleanup ran and its file handle closed', async () => {
    const handle = await open(new URL(import.meta.url), 'r');
    let cleaned = false;
    let produced = 0;
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          await handle.read(Buffer.alloc(16), 0, 16, 0);
          produced++;
          yield [i];
        }
      } finally {
        await handle.close();
        cleaned = true;
      }
    }
    const boom = new Error('boom in stage 2');
    let sinkSaw = 0;
    const run = pipeline(source())
      .through(async function* double(batches) {
        for await (const batch of batches) yield batch.map((n) => n * 2);
      })
      .through(async function* explode(batches) {
        for await (const batch of batches) {
          if ((batch[0] ?? 0) >= 10) throw boom;
          yield batch;
        }
      })
      .to(async (batches) => {
        for await (const _ of batches) sinkSaw++;
      })
      .run();
    await assert.rejects(run, (err) => err === boom);
    assert.equal(cleaned, true);
    assert.equal(handle.fd, -1);
    assert.equal(sinkSaw, 5);
    assert.ok(produced >= 6);
  });

  it('aborting the signal rejects with AbortError and finishes every stage', async () => {
    const controller = new AbortController();
    let cleaned = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield [i];
      } finally {
        cleaned = true;
      }
    }
    let seen = 0;
    await assert.rejects(
      pipeline(endless())
        .through(async function* pass(batches, { signal }) {
          for await (const batch of batches) {
            signal.throwIfAborted();
            yield batch;
          }
        })
        .to(async (batches) => {
          for await (const _ of batches) {
            if (++seen === 3) controller.abort();
          }
        })
        .run({ signal: controller.signal }),
      { name: 'AbortError' },
    );
    assert.equal(cleaned, true);
    assert.ok(seen >= 3);
  });

  it('types flow from stage to stage', async () => {
    const out: string[] = [];
    await pipeline([[1, 2], [3]])
      .through(async function* toStrings(batches): AsyncGenerator<Batch<string>> {
        for await (const batch of batches) yield batch.map((n) => `#${n}`);
      })
      .to(async (batches) => {
        for await (const batch of batches) out.push(...batch);
      })
      .run();
    assert.deepEqual(out, ['#1', '#2', '#3']);
    // @ts-expect-error countRows expects validated batches, not numbers
    pipeline([[1]]).to(countRows<StreamRow>());
  });

  it('bad run options throw OptionsError', async () => {
    await assert.rejects(
      pipeline([[1]])
        .to(async () => {})
        .run({ signal: 'nope' as never }),
      OptionsError,
    );
  });

  it('consecutive batch stages run fused, in order, and the sink’s value is returned', async () => {
    const calls: string[] = [];
    const add = (n: number): BatchStage<number[], number[]> => ({
      name: `add${n}`,
      open: () => ({
        process: (batch) => {
          calls.push(`add${n}`);
          return batch.map((x) => x + n);
        },
        flush: () => {
          calls.push(`flush${n}`);
          return undefined;
        },
      }),
    });
    const sum: BatchSink<number[], number> = {
      name: 'sum',
      open: () => {
        let total = 0;
        return {
          process: (batch) => {
            for (const x of batch) total += x;
          },
          finish: () => total,
        };
      },
    };
    const { value, summary } = await pipeline([[1, 2], [3]])
      .through(add(1))
      .through(add(10))
      .to(sum)
      .run();
    assert.equal(value, 6 + 3 * 11);
    assert.deepEqual(calls, [
      'add1',
      'add10',
      'flush1',
      'flush10',
      'add1',
      'add10',
      'flush1',
      'flush10',
    ]);
    assert.deepEqual(
      summary.stages.map((st) => [st.name, st.chunksIn, st.recordsIn, st.recordsOut]),
      [
        ['add1', 2, 3, 3],
        ['add10', 2, 3, 3],
        ['sum', 2, 3, 0],
      ],
    );
  });
});
