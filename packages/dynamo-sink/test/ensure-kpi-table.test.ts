import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { OptionsError } from '@streamkpi/core';
import { ensureKpiTable, TableSchemaError } from '../src/index.js';
import { startDynalite } from '../src/testing.js';
import { useDynalite } from './helpers/dynalite-env.js';

const env = useDynalite();

describe('ensureKpiTable', () => {
  test('creates a missing table with date/track_genre keys, on demand, and waits for ACTIVE', async () => {
    const result = await ensureKpiTable({
      client: env.client,
      tableName: 'fresh',
      pollIntervalMs: 5,
    });
    assert.equal(result.created, true);
    const { Table } = await env.client.send(new DescribeTableCommand({ TableName: 'fresh' }));
    assert.equal(Table?.TableStatus, 'ACTIVE');
    assert.equal(Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(Table?.KeySchema, [
      { AttributeName: 'date', KeyType: 'HASH' },
      { AttributeName: 'track_genre', KeyType: 'RANGE' },
    ]);
  });

  test('accepts an existing table with the right key schema without creating it', async () => {
    await ensureKpiTable({ client: env.client, tableName: 'twice', pollIntervalMs: 5 });
    const again = await ensureKpiTable({ client: env.client, tableName: 'twice' });
    assert.deepEqual(again, { created: false, polls: 0 });
  });

  test('two workers ensuring the same table at once both succeed; one created it', async () => {
    const results = await Promise.all([
      ensureKpiTable({ client: env.client, tableName: 'raced', pollIntervalMs: 5 }),
      ensureKpiTable({ client: env.client, tableName: 'raced', pollIntervalMs: 5 }),
    ]);
    assert.equal(results.filter((r) => r.created).length, 1);
  });

  test('an existing table with another key schema fails with TABLE_SCHEMA_MISMATCH', async () => {
    await env.client.send(
      new CreateTableCommand({
        TableName: 'wrong-keys',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await env.client.send(
      new CreateTableCommand({
        TableName: 'wrong-types',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'date', AttributeType: 'N' },
          { AttributeName: 'track_genre', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'date', KeyType: 'HASH' },
          { AttributeName: 'track_genre', KeyType: 'RANGE' },
        ],
      }),
    );
    for (const tableName of ['wrong-keys', 'wrong-types']) {
      await assert.rejects(
        ensureKpiTable({ client: env.client, tableName }),
        (e: unknown) =>
          e instanceof TableSchemaError &&
          e.code === 'TABLE_SCHEMA_MISMATCH' &&
          e.tableName === tableName &&
          /expected \[date S HASH, track_genre S RANGE\]/.test(e.message),
      );
    }
  });

  test('a table that stays CREATING past waitTimeoutMs fails with TABLE_NOT_ACTIVE', async () => {
    const slow = await startDynalite({ createTableMs: 2_000 });
    try {
      await assert.rejects(
        ensureKpiTable({ client: slow.client(), tableName: 'slow', waitTimeoutMs: 0 }),
        { name: 'TableSchemaError', code: 'TABLE_NOT_ACTIVE' },
      );
    } finally {
      await slow.close();
    }
  });

  test('polls back off from a short first delay: a table ACTIVE soon is seen soon', async () => {
    // ACTIVE 400 ms after CreateTable: polls after 25, 50, 100, 200 ms… see it
    // on the fourth or fifth; a fixed 250 ms interval would poll twice.
    const slow = await startDynalite({ createTableMs: 400 });
    try {
      const result = await ensureKpiTable({ client: slow.client(), tableName: 'soon' });
      assert.equal(result.created, true);
      assert.ok(result.polls >= 3, `expected at least 3 polls, got ${result.polls}`);
      const again = await ensureKpiTable({ client: slow.client(), tableName: 'soon' });
      assert.deepEqual(again, { created: false, polls: 0 });
    } finally {
      await slow.close();
    }
  });

  test('abort stops the wait', async () => {
    const slow = await startDynalite({ createTableMs: 2_000 });
    const controller = new AbortController();
    try {
      const pending = ensureKpiTable({
        client: slow.client(),
        tableName: 'slow',
        pollIntervalMs: 10,
        signal: controller.signal,
      });
      controller.abort(new Error('shutting down'));
      await assert.rejects(pending, /shutting down|aborted/i);
    } finally {
      await slow.close();
    }
  });

  test('bad options throw OptionsError before any request', async () => {
    const { proxy, client } = await env.proxy();
    for (const options of [
      { client, tableName: 'x' },
      { client, tableName: 'has space' },
      { client, tableName: 'ok-name', waitTimeoutMs: -1 },
      { client: { send: 1 }, tableName: 'ok-name' },
    ]) {
      await assert.rejects(
        ensureKpiTable(options as Parameters<typeof ensureKpiTable>[0]),
        (e: unknown) => e instanceof OptionsError,
      );
    }
    assert.equal(proxy.calls.length, 0);
  });
});
