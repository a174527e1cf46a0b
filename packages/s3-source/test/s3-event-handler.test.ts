import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import {
  createS3EventHandler,
  decodeS3EventKey,
  readObject,
  type S3Event,
  type S3EventObject,
  S3SourceError,
} from '../src/index.js';
import { collect, put, s3Fixture } from './helpers/s3.js';

const bucket = 'event-bucket';
const { client } = await s3Fixture(bucket);

/** An S3 ObjectCreated notification as AWS delivers it (event version 2.1). */
function s3Event(key: string, etag: string, eventName = 'ObjectCreated:Put'): S3Event {
  return JSON.parse(`{
    "Records": [{
      "eventVersion": "2.1",
      "eventSource": "aws:s3",
      "awsRegion": "us-east-1",
      "eventTime": "2024-06-25T17:43:13.123Z",
      "eventName": "${eventName}",
      "userIdentity": { "principalId": "AWS:AIDAEXAMPLE" },
      "requestParameters": { "sourceIPAddress": "203.0.113.10" },
      "responseElements": { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
      "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "streams-created",
        "bucket": { "name": "${bucket}", "ownerIdentity": { "principalId": "A3NL1KOZZKExample" }, "arn": "arn:aws:s3:::${bucket}" },
        "object": { "key": "${key}", "size": 5, "eTag": "${etag}", "sequencer": "0055AED6DCD90281E5" }
      }
    }]
  }`) as S3Event;
}

describe('createS3EventHandler', () => {
  it('decodes keys: + is a space, %-escapes are decoded, a literal + arrives as %2B', () => {
    assert.equal(decodeS3EventKey('streams/d%C3%ADa+1%2B2.csv'), 'streams/día 1+2.csv');
  });

  it('processes the object of a real S3 ObjectCreated event, reading it by the decoded key', async () => {
    const key = 'streams/día 1+2 (copy).csv';
    const etag = await put(client, bucket, key, 'hello');
    const read: string[] = [];
    const handler = createS3EventHandler({
      process: async (object: S3EventObject) => {
        const bytes = await collect(
          readObject({
            client,
            bucket: object.bucket,
            key: object.key,
            ...(object.etag ? { etag: object.etag } : {}),
          }),
        );
        read.push(`${object.key}=${bytes.toString()}`);
      },
    });
    const result = await handler(s3Event('streams/d%C3%ADa+1%2B2+%28copy%29.csv', etag));
    assert.deepEqual(read, [`${key}=hello`]);
    assert.deepEqual(result.results, [{ bucket, key, status: 'processed' }]);
    assert.deepEqual(result.batchItemFailures, []);
  });

  it('skips non-create events and folder markers', async () => {
    let calls = 0;
    const handler = createS3EventHandler({
      process: async () => {
        calls += 1;
      },
    });
    const removed = await handler(s3Event('streams/a.csv', 'e', 'ObjectRemoved:Delete'));
    const marker = await handler(s3Event('streams/', 'e'));
    assert.equal(calls, 0);
    assert.equal(removed.results[0]?.status, 'skipped');
    assert.equal(marker.results[0]?.status, 'skipped');
  });

  it('throws EVENT_FAILED for a failed direct S3 record so Lambda retries', async () => {
    const handler = createS3EventHandler({
      process: async (object) => {
        await collect(readObject({ client, bucket: object.bucket, key: object.key }));
      },
    });
    await assert.rejects(handler(s3Event('streams/missing+file.csv', 'e')), (error: unknown) => {
      assert.ok(error instanceof S3SourceError);
      assert.equal(error.code, 'EVENT_FAILED');
      assert.match(error.message, /streams\/missing file\.csv/);
      return true;
    });
  });

  it('accepts SQS-wrapped S3 events and reports failed messages as batchItemFailures', async () => {
    const etag = await put(client, bucket, 'streams/ok file.csv', 'fine!');
    const seen: string[] = [];
    const handler = createS3EventHandler({
      process: async (object) => {
        await collect(readObject({ client, bucket: object.bucket, key: object.key }));
        seen.push(object.key);
      },
    });
    const result = await handler({
      Records: [
        {
          messageId: 'm-ok',
          eventSource: 'aws:sqs',
          body: JSON.stringify(s3Event('streams/ok+file.csv', etag)),
        },
        {
          messageId: 'm-missing',
          eventSource: 'aws:sqs',
          body: JSON.stringify(s3Event('streams/gone.csv', 'x')),
        },
        {
          messageId: 'm-test',
          eventSource: 'aws:sqs',
          body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket }),
        },
        { messageId: 'm-garbage', eventSource: 'aws:sqs', body: 'not json' },
        {
          messageId: 'm-sns',
          eventSource: 'aws:sqs',
          body: JSON.stringify({
            Type: 'Notification',
            Message: JSON.stringify(s3Event('streams/ok+file.csv', etag)),
          }),
        },
      ],
    });
    assert.deepEqual(seen, ['streams/ok file.csv', 'streams/ok file.csv']);
    assert.deepEqual(result.batchItemFailures.map((f) => f.itemIdentifier).sort(), [
      'm-garbage',
      'm-missing',
    ]);
    assert.equal(result.results.find((r) => r.messageId === 'm-ok')?.status, 'processed');
    assert.equal(result.results.find((r) => r.messageId === 'm-sns')?.status, 'processed');
  });

  it('rejects events without Records and bad options', async () => {
    const handler = createS3EventHandler({ process: async () => {} });
    await assert.rejects(
      handler({} as S3Event),
      (e: unknown) => e instanceof S3SourceError && e.code === 'INVALID_EVENT',
    );
    assert.throws(
      () => createS3EventHandler({ process: async () => {}, concurrency: 0 }),
      OptionsError,
    );
  });
});
