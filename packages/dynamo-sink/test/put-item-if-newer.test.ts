import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { type KpiItem, putItemIfNewer, putItemsIfNewer, readKpiItems } from '../src/index.js';
import { useDynalite } from './helpers/dynalite-env.js';
import {
  assertTableHolds,
  batchWriteErrorOf,
  byKey,
  expectedStored,
  FAST_RETRY,
  keyOf,
  makeItem,
  prng,
  randomItems,
} from './helpers/kpi-fixtures.js';

const env = useDynalite();

describe('putItemIfNewer', () => {
  it('writes over a missing or lower version and reports equal or lower versions as stale', async () => {
    const tableName = await env.table();
    const rand = prng(1);
    const v1 = makeItem('2024-06-25', 'pop', rand);
    const v2 = makeItem('2024-06-25', 'pop', rand);
    const v0 = makeItem('2024-06-25', 'pop', rand);
    const put = (item: KpiItem, version: number) =>
      putItemIfNewer({ client: env.client, tableName, item, version });

    assert.equal(await put(v1, 1), 'written');
    assert.equal(await put(v2, 1), 'stale');
    assert.equal(await put(v0, 0), 'stale');
    assert.deepEqual(await readKpiItems(env.client, tableName), [
      expectedStored({ ...v1, version: 1 }),
    ]);

    assert.equal(await put(v2, 2), 'written');
    assert.equal(await put(v1, 1), 'stale');
    assert.deepEqual(await readKpiItems(env.client, tableName), [
      expectedStored({ ...v2, version: 2 }),
    ]);
  });

  it('a throttled put is retried and then written', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: { PutItem: [{ kind: 'error', errorType: 'ThrottlingException' }] },
    });
    const [item] = randomItems(1, 2);
    assert.equal(
      await putItemIfNewer({ client, tableName, item: item as KpiItem, version: 3, ...FAST_RETRY }),
      'written',
    );
    assert.equal(proxy.count('PutItem'), 2);
  });

  it('bad options throw OptionsError before any request', async () => {
    const { proxy, client } = await env.proxy();
    const [item] = randomItems(1, 3);
    for (const version of [-1, 1.5, Number.NaN]) {
      await assert.rejects(
        putItemIfNewer({ client, tableName: 'kpis', item: item as KpiItem, version }),
        (e: unknown) => e instanceof OptionsError && /version/.test(e.message),
      );
    }
    assert.equal(proxy.calls.length, 0);
  });

  it('an already aborted signal sends nothing', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy();
    const [item] = randomItems(1, 4);
    await assert.rejects(
      putItemIfNewer({
        client,
        tableName,
        item: item as KpiItem,
        version: 1,
        signal: AbortSignal.abort(),
      }),
    );
    assert.equal(proxy.count('PutItem'), 0);
  });
});

describe('putItemsIfNewer', () => {
  it('writes items whose stored version is older and counts the rest as stale', async () => {
    const tableName = await env.table();
    const items = randomItems(30, 5);
    const newer = items.slice(0, 10);
    await putItemsIfNewer({ client: env.client, tableName, items: newer, version: 5 });
    const rand = prng(6);
    const replacement = items.map((i) => makeItem(i.date, i.track_genre, rand));

    const result = await putItemsIfNewer({
      client: env.client,
      tableName,
      items: replacement,
      version: 3,
      concurrency: 3,
    });
    assert.equal(result.written, 20);
    assert.equal(result.stale, 10);
    assert.deepEqual(result.staleKeys.map(keyOf).sort(byKey), newer.map(keyOf).sort(byKey));
    const expected = [
      ...newer.map((i) => ({ ...i, version: 5 })),
      ...replacement.slice(10).map((i) => ({ ...i, version: 3 })),
    ];
    await assertTableHolds(env.client, tableName, expected);
  });

  it('a failing put stops new puts and lists the unfinished keys', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: { PutItem: [{ kind: 'error', errorType: 'ValidationException', message: 'no' }] },
    });
    const items = randomItems(6, 7);
    const error = await batchWriteErrorOf(
      putItemsIfNewer({
        client,
        tableName,
        items,
        version: 1,
        concurrency: 1,
      }),
    );
    assert.equal(error.code, 'WRITE_FAILED');
    assert.equal(error.unwritten.length, 6);
    assert.equal(proxy.count('PutItem'), 1);
  });
});
