import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBatchWriter, readKpiItems } from '../src/index.js';
import { useDynalite } from './helpers/dynalite-env.js';
import { byKey, expectedStored, randomItems } from './helpers/kpi-fixtures.js';

const env = useDynalite();

describe('readKpiItems', () => {
  test('reads one date with a Query, or the whole table with a Scan, sorted by key', async () => {
    const tableName = await env.table();
    const items = randomItems(40, 21); // dates 2024-06-01 … 2024-06-05
    await createBatchWriter({ client: env.client, tableName }).write(items);
    const day = '2024-06-03';
    assert.deepEqual(
      await readKpiItems(env.client, tableName, day),
      items
        .filter((i) => i.date === day)
        .map(expectedStored)
        .sort(byKey),
    );
    assert.deepEqual(
      await readKpiItems(env.client, tableName),
      items.map(expectedStored).sort(byKey),
    );
    assert.deepEqual(await readKpiItems(env.client, tableName, '1999-01-01'), []);
  });

  test('an aborted signal rejects the read', async () => {
    const tableName = await env.table();
    await assert.rejects(
      readKpiItems(env.client, tableName, undefined, { signal: AbortSignal.abort() }),
    );
  });
});
