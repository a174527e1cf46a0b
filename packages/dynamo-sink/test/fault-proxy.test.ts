import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BatchWriteItemCommand,
  ProvisionedThroughputExceededException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { useDynalite } from './helpers/dynalite-env.js';

const env = useDynalite();

function putRequests(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    PutRequest: {
      Item: { date: { S: '2024-06-25' }, track_genre: { S: `g${i}` }, listen_count: { N: '1' } },
    },
  }));
}

describe('startFaultProxy', () => {
  test('injected errors reach the SDK as its real DynamoDB exceptions', async () => {
    const tableName = await env.table();
    const { client } = await env.proxy({
      script: {
        BatchWriteItem: [
          { kind: 'error', errorType: 'ProvisionedThroughputExceededException' },
          { kind: 'error', errorType: 'ThrottlingException' },
        ],
      },
    });
    const send = () =>
      client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: putRequests(2) } }));
    const first = await send().then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(first instanceof ProvisionedThroughputExceededException);
    assert.equal(first.$metadata.httpStatusCode, 400);
    assert.match(first.message, /provisioned throughput/);
    await assert.rejects(send(), { name: 'ThrottlingException' });
    const ok = await send();
    assert.deepEqual(ok.UnprocessedItems, {});
  });

  test('withheld requests are returned as UnprocessedItems and really not written', async () => {
    const tableName = await env.table();
    const { proxy, client } = await env.proxy({
      script: { BatchWriteItem: [{ kind: 'unprocessed', count: 2 }] },
    });
    const requests = putRequests(5);
    const out = await client.send(
      new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
    );
    assert.deepEqual(out.UnprocessedItems, { [tableName]: requests.slice(3) });
    const scan = await env.client.send(new ScanCommand({ TableName: tableName }));
    assert.deepEqual(scan.Items?.map((i) => i.track_genre?.S).sort(), ['g0', 'g1', 'g2']);
    assert.deepEqual(proxy.calls, [
      {
        operation: 'BatchWriteItem',
        index: 0,
        table: tableName,
        fault: 'unprocessed',
        items: 5,
        withheld: 2,
      },
    ]);
  });
});
