import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionsError, ParseError, parseNdjson } from '../src/index.js';
import { chunked, collectRows, runawayLine, testSource } from './helpers/parse.js';

const source = testSource('streams.ndjson');

test('parses one object per line, stringifies scalars and numbers rows by physical line', async () => {
  const rows = await collectRows(
    parseNdjson({ source })(
      chunked(
        '\uFEFF{"user_id":7,"track_id":"t1","listen_time":"2024-06-25 17:43:13"}\r\n\n  \n{"user_id":"8","ok":true,"n":null,"x":{"y":1}}',
      ),
    ),
  );
  assert.deepEqual(
    rows.map((r) => [r.line, r.fields, r.problem]),
    [
      [1, { user_id: '7', track_id: 't1', listen_time: '2024-06-25 17:43:13' }, undefined],
      [4, { user_id: '8', ok: 'true', n: '', x: '{"y":1}' }, undefined],
    ],
  );
});

test('a malformed line and a non-object line become rows with problems; parsing continues', async () => {
  const rows = await collectRows(
    parseNdjson({ source })(chunked('{"a":1}\n{"a":\n[1,2]\n{"a":2}\n')),
  );
  assert.deepEqual(
    rows.map((r) => [r.line, r.problem?.reason]),
    [
      [1, undefined],
      [2, 'malformed_json'],
      [3, 'not_an_object'],
      [4, undefined],
    ],
  );
  assert.deepEqual(rows[1]?.fields, { _raw: '{"a":' });
});

test('invalid UTF-8 marks the line invalid_utf8', async () => {
  const input = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
  const rows = await collectRows(parseNdjson({ source })([input]));
  assert.equal(rows[0]?.problem?.reason, 'invalid_utf8');
});

test('the header passed to onHeader is the keys of the first object', async () => {
  const headers: string[][] = [];
  await collectRows(
    parseNdjson({ source, onHeader: (h) => headers.push([...h]) })(
      chunked('{"b":1,"a":2}\n{"c":3}\n'),
    ),
  );
  assert.deepEqual(headers, [['b', 'a']]);
});

test('a runaway line fails with LINE_TOO_LONG naming the line', async () => {
  await assert.rejects(
    collectRows(
      parseNdjson({ source, maxRowBytes: 65536 })(runawayLine('{"a":1}\n{"a":"', 5_000_000)),
    ),
    (err: unknown) => err instanceof ParseError && err.code === 'LINE_TOO_LONG' && err.line === 2,
  );
});

test('an empty file fails with EMPTY_FILE; bad options with OptionsError', async () => {
  await assert.rejects(collectRows(parseNdjson({ source })([])), { code: 'EMPTY_FILE' });
  assert.throws(() => parseNdjson({ source, batchSize: 1.5 }), OptionsError);
});
