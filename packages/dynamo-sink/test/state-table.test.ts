/** The state table's records as stored: claims carry their expiry for DynamoDB TTL, heads none. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createStateTable, ensureStateTable, STATE_TABLE_TTL_ATTRIBUTE } from '../src/index.js';
import { useDynalite } from './helpers/dynalite-env.js';

const env = useDynalite();
const SCOPE = 's3://bucket/state/';

async function stateTable(tableName: string) {
  await ensureStateTable({ client: env.client, tableName, pollIntervalMs: 5 });
  return createStateTable({ client: env.client, tableName, scope: SCOPE });
}

async function stored(tableName: string, pk: string) {
  const out = await env.client.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return out.Item;
}

describe('createStateTable', () => {
  it('stores a claim with its expiry in ms and, for TTL, in epoch seconds rounded up', async () => {
    const table = await stateTable('state-ttl');
    const before = Date.now();
    assert.equal(await table.claim('bucket/streams/a.csv', 'worker-1', 90_500), true);
    const after = Date.now();
    const item = await stored('state-ttl', `${SCOPE}|claim|bucket/streams/a.csv`);
    const expiresAt = Number(item?.expiresAt?.N);
    assert.ok(expiresAt >= before + 90_500 && expiresAt <= after + 90_500);
    const seconds = Number(item?.[STATE_TABLE_TTL_ATTRIBUTE]?.N);
    assert.equal(seconds, Math.ceil(expiresAt / 1000));
    // TTL may delete the record only once the claim has expired.
    assert.ok(seconds * 1000 >= expiresAt);
  });

  it('moves the TTL with the claim when its holder renews it', async () => {
    const table = await stateTable('state-renew');
    assert.equal(await table.claim('bucket/streams/b.csv', 'worker-1', 1_000), true);
    const first = await stored('state-renew', `${SCOPE}|claim|bucket/streams/b.csv`);
    assert.equal(await table.claim('bucket/streams/b.csv', 'worker-1', 3_600_000), true);
    const renewed = await stored('state-renew', `${SCOPE}|claim|bucket/streams/b.csv`);
    const ttl = (i: typeof first) => Number(i?.[STATE_TABLE_TTL_ATTRIBUTE]?.N);
    assert.ok(ttl(renewed) >= ttl(first) + 3_599);
    assert.equal(ttl(renewed), Math.ceil(Number(renewed?.expiresAt?.N) / 1000));
    // Another worker cannot take a live claim.
    assert.equal(await table.claim('bucket/streams/b.csv', 'worker-2', 1_000), false);
  });

  it('release drops only the holder’s claim; another worker can then claim the object', async () => {
    const table = await stateTable('state-release');
    const key = 'bucket/streams/c.csv';
    const pk = `${SCOPE}|claim|${key}`;
    assert.equal(await table.claim(key, 'worker-1', 3_600_000), true);
    await table.release(key, 'worker-2');
    assert.equal((await stored('state-release', pk))?.owner?.S, 'worker-1');
    assert.equal(await table.claim(key, 'worker-2', 1_000), false);
    await table.release(key, 'worker-1');
    assert.equal(await stored('state-release', pk), undefined);
    assert.equal(await table.claim(key, 'worker-2', 1_000), true);
  });

  it('gives heads no expiry, so TTL never deletes the commit evidence', async () => {
    const table = await stateTable('state-heads');
    const head = {
      date: '2024-06-25',
      version: 1,
      snapshot: 'state/snapshots/2024-06-25/1.bin',
      written: 0,
      committedAt: new Date().toISOString(),
    };
    assert.equal(await table.swapHead(head, undefined), true);
    await table.markWritten('2024-06-25', 1);
    const item = await stored('state-heads', `${SCOPE}|head|2024-06-25`);
    assert.equal(item?.version?.N, '1');
    assert.equal(item?.written?.N, '1');
    assert.equal(item?.[STATE_TABLE_TTL_ATTRIBUTE], undefined);
    assert.equal(item?.expiresAt, undefined);
  });
});
