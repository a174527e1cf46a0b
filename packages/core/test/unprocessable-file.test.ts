import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderError, ParseError, PipelineError, unprocessableFile } from '../src/index.js';

describe('unprocessableFile', () => {
  it('takes what a file version says as permanent: header, emptiness, format, KPI date', () => {
    assert.deepEqual(unprocessableFile(new HeaderError(['user_id'], 'no user_id'))?.missing, [
      'user_id',
    ]);
    assert.deepEqual(unprocessableFile(new ParseError('EMPTY_FILE', 'empty'), 'streams')?.missing, [
      'user_id',
      'track_id',
      'listen_time',
    ]);
    for (const code of [
      'GZIP_CORRUPT',
      'GZIP_TRUNCATED',
      'JSON_MALFORMED',
      'LINE_TOO_LONG',
      'TOO_MANY_COLUMNS',
    ]) {
      assert.equal(unprocessableFile(new ParseError(code, code))?.code, code);
    }
    assert.equal(
      unprocessableFile(new PipelineError('INVALID_DATE', 'bad date'))?.code,
      'INVALID_DATE',
    );
  });

  it('leaves what a retry may get past: network errors, pool failures, anything else', () => {
    for (const error of [
      Object.assign(new Error('aborted'), { code: 'ECONNRESET' }),
      new PipelineError('POOL_CRASHED', 'thread died'),
      'a string',
    ]) {
      assert.equal(unprocessableFile(error), undefined);
    }
  });
});
