import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderError, ParseError, PipelineError } from '@streamkpi/core';
import { S3SourceError } from '@streamkpi/s3-source';
import { isTransient, ObjectFailedError } from '../src/index.js';
import { withRetries } from '../src/run/object-failure.js';
import type { ObjectOutcome } from '../src/run/outcomes.js';

const aborted = () => Object.assign(new Error('aborted'), { code: 'ECONNRESET' });

describe('object failures', () => {
  it('names the object, the step and the cause, even for a bare socket "aborted"', () => {
    const e = new ObjectFailedError('bkt', 'streams/a.csv', 'capture', aborted());
    assert.equal(e.code, 'OBJECT_FAILED');
    assert.equal(e.message, 's3://bkt/streams/a.csv: capture failed: Error: aborted');
    const dated = new ObjectFailedError('bkt', 'streams/a.csv', 'commit', aborted(), '2024-06-25');
    assert.match(dated.message, /commit of 2024-06-25 failed/);
    assert.equal(dated.date, '2024-06-25');
  });

  it('tells transient failures (network, throttling, timeouts, 5xx) from those that never succeed', () => {
    const throttled = Object.assign(new Error('slow'), { name: 'ThrottlingException' });
    const status503 = Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } });
    for (const e of [aborted(), throttled, status503, new S3SourceError('RESUME_EXHAUSTED', 'r')]) {
      assert.equal(isTransient(new ObjectFailedError('b', 'k', 'capture', e)), true, e.message);
    }
    const never = [
      new ParseError('JSON_MALFORMED', 'bad'),
      new HeaderError(['user_id'], 'missing'),
      new PipelineError('INVALID_DATE', 'date'),
      new S3SourceError('OBJECT_CHANGED', 'replaced'),
      new Error('something else'),
    ];
    for (const e of never) assert.equal(isTransient(e), false, e.message);
  });

  it('retries an outcome with a transient error, not a quarantined or permanent one', async () => {
    const outcome = (error?: unknown): ObjectOutcome => ({
      key: 'k',
      etag: 'e',
      status: 'processed',
      dates: [],
      archived: error === undefined,
      ...(error === undefined ? {} : { error }),
    });
    let calls = 0;
    const ok = await withRetries(
      async () => (++calls < 3 ? outcome(aborted()) : outcome()),
      { attempts: 3, baseDelayMs: 1 },
      undefined,
    );
    assert.deepEqual([calls, ok.archived], [3, true]);
    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw new ParseError('GZIP_CORRUPT', 'bad gzip');
        },
        { attempts: 3, baseDelayMs: 1 },
        undefined,
      ),
      /bad gzip/,
    );
    assert.equal(calls, 1);
  });
});
