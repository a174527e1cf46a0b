import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import type { KpiItem as CoreKpiItem } from '@streamkpi/core';
import {
  createBatchWriter,
  type KpiItem,
  KpiItemError,
  readKpiItems,
  toDynamoItem,
} from '../src/index.js';
import { useDynalite } from './helpers/dynalite-env.js';
import { expectedStored, makeItem, prng } from './helpers/kpi-fixtures.js';

const env = useDynalite();

// Compile-time check: the items core produces are accepted as they are.
export function acceptsCoreItems(a: CoreKpiItem, b: CoreKpiItem<string>): KpiItem[] {
  return [a, b];
}

const base = makeItem('2024-06-25', 'pop', prng(1));

describe('toDynamoItem', () => {
  it('turns every number into a NumberValue holding the exact input string', () => {
    const item = toDynamoItem({
      ...base,
      listen_count: 12,
      total_listening_time: '90071992547409930',
      avg_listening_time_per_user: '12345678901234567890.12',
      version: 4,
    });
    assert.deepEqual(
      [
        item.listen_count,
        item.total_listening_time,
        item.avg_listening_time_per_user,
        item.version,
      ].map((n) => (n instanceof NumberValue ? n.value : n)),
      ['12', '90071992547409930', '12345678901234567890.12', '4'],
    );
    assert.ok(
      (item.top_songs as { listen_count: unknown }[])[0]?.listen_count instanceof NumberValue,
    );
  });

  it('rejects numbers that could not be written exactly, naming item and field', () => {
    const cases: [Partial<Record<keyof KpiItem, unknown>>, string][] = [
      [{ avg_listening_time_per_user: 0.30000000000000004 }, 'avg_listening_time_per_user'],
      [{ avg_listening_time_per_user: '1e3' }, 'avg_listening_time_per_user'],
      [{ listen_count: 2 ** 53 }, 'listen_count'],
      [{ unique_listeners: '1.5' }, 'unique_listeners'],
      [{ total_listening_time: '1'.repeat(39) }, 'total_listening_time'],
      [{ date: '' }, 'date'],
      [{ version: -1 }, 'version'],
      [
        { top_songs: [{ track_id: 't', track_name: 'n', listen_count: 'x' }] },
        'top_songs[0].listen_count',
      ],
    ];
    for (const [patch, field] of cases) {
      assert.throws(
        () => toDynamoItem({ ...base, ...patch } as KpiItem),
        (e: unknown) =>
          e instanceof KpiItemError &&
          e.code === 'INVALID_KPI_ITEM' &&
          e.field === field &&
          e.message.includes(field),
        field,
      );
    }
  });

  it('decimals survive a write and read-back exactly', async () => {
    const tableName = await env.table();
    const values = ['0.30', '12345678901234567890.12', '0.05', '100.00', '183.42', '0.00'];
    const items = values.map((avg, i) => ({
      ...makeItem('2024-06-25', `genre-${i}`, prng(i)),
      avg_listening_time_per_user: avg,
      total_listening_time: '99999999999999999999999999999999999999',
    }));
    await createBatchWriter({ client: env.client, tableName }).write(items);
    const stored = await readKpiItems(env.client, tableName, '2024-06-25');
    assert.deepEqual(
      stored.map((s) => s.avg_listening_time_per_user),
      values,
    );
    assert.deepEqual(stored, items.map(expectedStored));
    // On the wire the attribute is a Number whose value is exact (DynamoDB drops trailing zeros).
    const raw = await env.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { date: { S: '2024-06-25' }, track_genre: { S: 'genre-1' } },
      }),
    );
    assert.deepEqual(raw.Item?.avg_listening_time_per_user, { N: '12345678901234567890.12' });
    assert.deepEqual(raw.Item?.total_listening_time, {
      N: '99999999999999999999999999999999999999',
    });
  });
});
