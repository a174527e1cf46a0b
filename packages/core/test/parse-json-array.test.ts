import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionsError, ParseError, parseJsonArray } from '../src/index.js';
import { chunked, collectBatches, collectRows, testSource } from './helpers/parse.js';

const source = testSource('songs.json');

test('streams array elements as rows with line = index + 1 and exact number text', async () => {
  const rows = await collectRows(
    parseJsonArray({ source })(
      chunked(
        '[\n {"track_id":"a","duration_ms":230666,"big":12345678901234567890},\n {"track_id":"b","explicit":false,"n":null}\n]',
        5,
      ),
    ),
  );
  assert.deepEqual(
    rows.map((r) => [r.line, r.fields]),
    [
      [1, { track_id: 'a', duration_ms: '230666', big: '12345678901234567890' }],
      [2, { track_id: 'b', explicit: 'false', n: '' }],
    ],
  );
});

test('an element that is not an object becomes a not_an_object row', async () => {
  const rows = await collectRows(parseJsonArray({ source })(chunked('[{"a":"1"}, 42, "x", [1]]')));
  assert.deepEqual(
    rows.map((r) => [r.line, r.problem?.reason ?? null, r.fields]),
    [
      [1, null, { a: '1' }],
      [2, 'not_an_object', { _raw: '"42"' }],
      [3, 'not_an_object', { _raw: '"x"' }],
      [4, 'not_an_object', { _raw: '["1"]' }],
    ],
  );
});

test('a JSON file that is not an array fails with JSON_NOT_ARRAY', async () => {
  await assert.rejects(collectRows(parseJsonArray({ source })(chunked('{"a":[1,2]}'))), {
    name: 'ParseError',
    code: 'JSON_NOT_ARRAY',
  });
});

test('malformed JSON fails with JSON_MALFORMED naming the element', async () => {
  await assert.rejects(
    collectRows(parseJsonArray({ source })(chunked('[{"a":1},{"a":2,}]'))),
    (err: unknown) => err instanceof ParseError && err.code === 'JSON_MALFORMED' && err.line === 2,
  );
});

test('an element larger than maxRowBytes fails with LINE_TOO_LONG', async () => {
  const big = `[{"a":"${'x'.repeat(200_000)}"}]`;
  await assert.rejects(
    collectRows(parseJsonArray({ source, maxRowBytes: 65536 })(chunked(big, 8192))),
    { code: 'LINE_TOO_LONG' },
  );
});

test('[] yields nothing; 0 bytes fails with EMPTY_FILE; batches respect batchSize', async () => {
  assert.deepEqual(await collectRows(parseJsonArray({ source })(chunked('[ ]'))), []);
  await assert.rejects(collectRows(parseJsonArray({ source })([])), { code: 'EMPTY_FILE' });
  const items = Array.from({ length: 7 }, (_, i) => ({ i }));
  const batches = await collectBatches(
    parseJsonArray({ source, batchSize: 3 })(chunked(JSON.stringify(items))),
  );
  assert.deepEqual(
    batches.map((b) => b.length),
    [3, 3, 1],
  );
  assert.throws(() => parseJsonArray({ source, batchSize: 'x' as never }), OptionsError);
});
