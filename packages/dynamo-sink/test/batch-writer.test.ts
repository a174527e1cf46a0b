import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { createBatchWriter, type KpiItem, KpiItemError, readKpiItems } from '../src/index.js';
import { useDynalite } from './helpers/dynalite-env.js';
import {
  assertTableHolds,
  batchWriteErrorOf,
  byKey,
  FAST_RETRY,
  keyOf,
  makeItem,
  prng,
  randomItems,
} from './helpers/kpi-fixtures.js';

const env = useDynalite();

describe('createBatchWriter', () => {
  it('60 random items end up in the table exactly as given, in chunks of 25', async () => {
    const tableName = await env.table();
    const items = randomItems(60, 42);
    const writer = createBatchWriter({ client: env.client, tableName, ...FAST_RETRY });
    const metrics = await writer.write(items);
    assert.deepEqual(metrics, {
      itemsWritten: 60,
      requests: 3,
      retries: 0,
      unprocessedResent: 0,
      throttled: 0,
      duplicatesDropped: 0,
    });
    await assertTableHolds(env.client, tableName, items);
  });

  it('keys repeated within a chunk are collapsed to the last item and counted', async () => {
    const tableName = await env.table();
    const rand = prng(7);
    const first = randomItems(10, 1);
    const later = [first[2], first[5], first[2]].map((i) =>
      makeItem(i?.date ?? '', i?.track_genre ?? '', rand),
    );
    const { proxy, client } = await env.proxy();
    const writer = createBatchWriter({ client, tableName, ...FAST_RETRY });
    const metrics = await writer.write([...first, ...later]);
    assert.equal(metrics.duplicatesDropped, 3);
    assert.equal(metrics.itemsWritten, 10);
    assert.deepEqual(
      proxy.calls.map((c) => c.items),
      [10],
    );
    const expected = [
      first[0],
      first[1],
      first[3],
      first[4],
      first[6],
      first[7],
      first[8],
      first[9],
    ];
    expected.push(later[1], later[2]); // last occurrence of each repeated key
    await assertTableHolds(env.client, tableName, expected as KpiItem[]);
  });

  it('items returned as UnprocessedItems are re-sent until all are written', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: {
        BatchWriteItem: [
          { kind: 'unprocessed', count: 7 },
          { kind: 'unprocessed', count: 3 },
        ],
      },
    });
    const items = randomItems(25, 3);
    const writer = createBatchWriter({ client, tableName, ...FAST_RETRY });
    const metrics = await writer.write(items);
    assert.deepEqual(
      proxy.calls.map((c) => [c.fault, c.items, c.withheld]),
      [
        ['unprocessed', 25, 7],
        ['unprocessed', 7, 3],
        ['pass', 3, undefined],
      ],
    );
    assert.equal(metrics.requests, 3);
    assert.equal(metrics.retries, 2);
    assert.equal(metrics.unprocessedResent, 10);
    assert.equal(metrics.itemsWritten, 25);
    await assertTableHolds(env.client, tableName, items);
  });

  it('each throttling error is retried, then every item is written', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: {
        BatchWriteItem: [
          { kind: 'error', errorType: 'ProvisionedThroughputExceededException' },
          { kind: 'error', errorType: 'ThrottlingException' },
          { kind: 'error', errorType: 'RequestLimitExceeded' },
        ],
      },
    });
    const items = randomItems(40, 4);
    const writer = createBatchWriter({ client, tableName, concurrency: 2, ...FAST_RETRY });
    const metrics = await writer.write(items);
    assert.equal(metrics.throttled, 3);
    assert.equal(metrics.retries, 3);
    assert.equal(metrics.requests, 5);
    assert.equal(proxy.count('BatchWriteItem'), 5);
    assert.equal(metrics.itemsWritten, 40);
    assert.deepEqual(writer.metrics, metrics);
    await assertTableHolds(env.client, tableName, items);
  });

  it('an exhausted budget fails with WRITE_BUDGET_EXHAUSTED naming every item not written', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: () => ({ kind: 'error', errorType: 'ProvisionedThroughputExceededException' }),
    });
    const items = randomItems(30, 5);
    const writer = createBatchWriter({
      client,
      tableName,
      concurrency: 1,
      maxAttempts: 3,
      ...FAST_RETRY,
    });
    const error = await batchWriteErrorOf(writer.write(items));
    assert.equal(error.code, 'WRITE_BUDGET_EXHAUSTED');
    // The first chunk used its 3 attempts; the second was never started.
    assert.equal(proxy.count('BatchWriteItem'), 3);
    assert.deepEqual([...error.unwritten].sort(byKey), items.map(keyOf).sort(byKey));
    assert.match(error.message, /30 item\(s\) not written: 2024-06-01\/pop/);
    assert.equal(error.metrics.itemsWritten, 0);
    assert.deepEqual(await readKpiItems(env.client, tableName), []);
  });

  it('items that stay unprocessed are the ones listed; the rest are written', async () => {
    const tableName = await env.table();
    const { client } = await env.proxy({ script: () => ({ kind: 'unprocessed', count: 2 }) });
    const items = randomItems(12, 6);
    const writer = createBatchWriter({ client, tableName, maxAttempts: 4, ...FAST_RETRY });
    const error = await batchWriteErrorOf(writer.write(items));
    assert.equal(error.code, 'WRITE_BUDGET_EXHAUSTED');
    assert.deepEqual(error.unwritten, items.slice(10).map(keyOf));
    assert.equal(error.metrics.itemsWritten, 10);
    assert.equal(error.metrics.unprocessedResent, 6);
    await assertTableHolds(env.client, tableName, items.slice(0, 10));
  });

  it('a non-throttling error is not retried and fails with WRITE_FAILED', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: {
        BatchWriteItem: [{ kind: 'error', errorType: 'ValidationException', message: 'bad' }],
      },
    });
    const writer = createBatchWriter({ client, tableName, concurrency: 1, ...FAST_RETRY });
    const error = await batchWriteErrorOf(writer.write(randomItems(5, 8)));
    assert.equal(error.code, 'WRITE_FAILED');
    assert.equal((error.cause as Error).name, 'ValidationException');
    assert.equal(error.unwritten.length, 5);
    assert.equal(proxy.count('BatchWriteItem'), 1);
  });

  it('abort stops the retries and fails with ABORTED', async () => {
    const tableName = await env.table();
    const controller = new AbortController();
    const { proxy, client } = await env.proxy({
      script: () => ({ kind: 'error', errorType: 'ThrottlingException' }),
      onCall: (call) => {
        if (call.index === 2) controller.abort(new Error('stop'));
      },
    });
    const writer = createBatchWriter({
      client,
      tableName,
      maxAttempts: 100,
      signal: controller.signal,
      ...FAST_RETRY,
    });
    const error = await batchWriteErrorOf(writer.write(randomItems(5, 9)));
    assert.equal(error.code, 'ABORTED');
    assert.equal(error.unwritten.length, 5);
    assert.equal(proxy.count('BatchWriteItem'), 3);
  });

  it('an already aborted call sends nothing', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy();
    const writer = createBatchWriter({ client, tableName, ...FAST_RETRY });
    await assert.rejects(writer.write(randomItems(3, 10), { signal: AbortSignal.abort() }), {
      code: 'ABORTED',
    });
    assert.equal(proxy.count('BatchWriteItem'), 0);
  });

  it('bad options throw OptionsError before any request', async () => {
    const { proxy, client } = await env.proxy();
    const bad: unknown[] = [
      { client, tableName: 'ab' },
      { client, tableName: 'kpis', concurrency: 0 },
      { client, tableName: 'kpis', maxAttempts: 0 },
      { client, tableName: 'kpis', baseDelayMs: 100, maxDelayMs: 10 },
      { client, tableName: 'kpis', chunkSize: 26 },
      { client: {}, tableName: 'kpis' },
      { client, tableName: 'kpis', signal: 'nope' },
    ];
    for (const options of bad) {
      assert.throws(
        () => createBatchWriter(options as Parameters<typeof createBatchWriter>[0]),
        (e: unknown) => e instanceof OptionsError && e.code === 'INVALID_OPTIONS',
        JSON.stringify(Object.keys(options as object)),
      );
    }
    assert.throws(
      () => createBatchWriter({ client, tableName: 'kpis', concurrency: 0 }),
      /concurrency/,
    );
    assert.equal(proxy.calls.length, 0);
  });

  it('an invalid item is rejected before any request is sent', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy();
    const writer = createBatchWriter({ client, tableName, ...FAST_RETRY });
    const items = randomItems(3, 11);
    const bad = { ...items[1], avg_listening_time_per_user: 0.1 } as unknown as KpiItem;
    await assert.rejects(
      writer.write([items[0] as KpiItem, bad]),
      (e: unknown) => e instanceof KpiItemError && e.field === 'avg_listening_time_per_user',
    );
    assert.equal(proxy.calls.length, 0);
  });
});
