import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { type KpiItem, readKpiItems, writeDynamoDb } from '../src/index.js';
import { useDynalite } from './helpers/dynalite-env.js';
import { byKey, expectedStored, makeItem, prng, randomItems } from './helpers/kpi-fixtures.js';

const env = useDynalite();

async function* batches(items: readonly KpiItem[], size: number): AsyncGenerator<KpiItem[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

describe('writeDynamoDb', () => {
  test('writes every batch of a pipeline and resolves with the metrics', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy();
    const items = randomItems(100, 31);
    const metrics = await pipeline(
      batches(items, 7),
      writeDynamoDb({ client, tableName, concurrency: 2 }),
    );
    assert.equal(metrics.itemsWritten, 100);
    // Buffered to 25 × 2 = 50 items before each flush: 2 flushes of 2 full chunks.
    assert.deepEqual(
      proxy.calls.map((c) => c.items),
      [25, 25, 25, 25],
    );
    assert.deepEqual(
      await readKpiItems(env.client, tableName),
      items.map(expectedStored).sort(byKey),
    );
  });

  test('a key repeated in a later batch ends up with the later item', async () => {
    const tableName = await env.table();
    const items = randomItems(10, 32);
    const first = items[0] as KpiItem;
    const redo = makeItem(first.date, first.track_genre, prng(99));
    await pipeline(
      batches([...items, redo], 3),
      writeDynamoDb({ client: env.client, tableName, flushItems: 4 }),
    );
    const stored = await readKpiItems(env.client, tableName);
    assert.deepEqual(
      stored.find((s) => s.date === first.date && s.track_genre === first.track_genre),
      expectedStored(redo),
    );
    assert.equal(stored.length, 10);
  });

  test('the pipeline signal aborts the writes', async () => {
    const tableName = await env.table();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      pipeline(batches(randomItems(5, 33), 5), writeDynamoDb({ client: env.client, tableName }), {
        signal: controller.signal,
      }),
    );
    assert.deepEqual(await readKpiItems(env.client, tableName), []);
  });

  test('bad options throw OptionsError when the stage is created', () => {
    assert.throws(
      () => writeDynamoDb({ client: env.client, tableName: 'kpis', flushItems: 0 }),
      OptionsError,
    );
    assert.throws(() => writeDynamoDb({ client: env.client, tableName: 'k' }), OptionsError);
  });
});
