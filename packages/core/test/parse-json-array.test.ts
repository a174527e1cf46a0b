import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError, ParseError, parseJsonArray } from '../src/index.js';
import {
  assertStopsOnAbort,
  chunked,
  collectBatches,
  collectRows,
  lineReasons,
  ndjsonRows,
  rowsOf,
  testSource,
} from './helpers/parse.js';

const source = testSource('songs.json');

describe('parse-json-array', () => {
  it('streams array elements as rows with line = index + 1 and exact number text', async () => {
    const rows = await rowsOf(
      parseJsonArray({ source }),
      '[\n {"track_id":"a","duration_ms":230666,"big":12345678901234567890},\n {"track_id":"b","explicit":false,"n":null}\n]',
      5,
    );
    assert.deepEqual(
      rows.map((r) => [r.line, r.fields]),
      [
        [1, { track_id: 'a', duration_ms: '230666', big: '12345678901234567890' }],
        [2, { track_id: 'b', explicit: 'false', n: '' }],
      ],
    );
  });

  it('an element that is not an object becomes a not_an_object row', async () => {
    const rows = await rowsOf(parseJsonArray({ source }), '[{"a":"1"}, 42, "x", [1]]');
    assert.deepEqual(
      rows.map((r) => [r.line, r.problem?.reason ?? null, r.fields]),
      [
        [1, null, { a: '1' }],
        [2, 'not_an_object', { _raw: '42' }],
        [3, 'not_an_object', { _raw: '"x"' }],
        [4, 'not_an_object', { _raw: '[1]' }],
      ],
    );
  });

  it('a JSON file that is not an array fails with JSON_NOT_ARRAY', async () => {
    await assert.rejects(rowsOf(parseJsonArray({ source }), '{"a":[1,2]}'), {
      name: 'ParseError',
      code: 'JSON_NOT_ARRAY',
    });
  });

  it('a malformed element is a malformed_json row; broken structure fails naming the real element', async () => {
    const rows = await rowsOf(parseJsonArray({ source }), '[{"a":1},{"a":2,},{"a":3}]');
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'malformed_json'],
      [3, null],
    ]);
    const elements = Array.from({ length: 300 }, (_, i) => `{"a":${i}}`);
    for (const [text, line] of [
      [`[${elements.slice(0, 288).join(',')} {"a":1}]`, 288],
      [`[${elements.join(',')},]`, 301],
      [`[${elements.join(',')}`, 300],
      [`[${elements.slice(0, 288).join(',')},{"a":"`, 289],
      [`[${elements.join(',')}] x`, 300],
    ] as const) {
      await assert.rejects(
        rowsOf(parseJsonArray({ source }), text, 64),
        (err: unknown) =>
          err instanceof ParseError &&
          err.code === 'JSON_MALFORMED' &&
          err.line === line &&
          err.message.includes(`element ${line}`),
        text.slice(-20),
      );
    }
  });

  it('an element larger than maxRowBytes is a row_too_large row with its first KiB; the rest go on', async () => {
    const big = `[{"a":"${'x'.repeat(200_000)}"},{"a":"ok"}]`;
    const rows = await rowsOf(parseJsonArray({ source, maxRowBytes: 65536 }), big, 8192);
    assert.deepEqual(lineReasons(rows), [
      [1, 'row_too_large'],
      [2, null],
    ]);
    assert.ok((rows[0]?.fields._raw?.length ?? 0) <= 1025);
    assert.ok(rows[0]?.fields._raw?.startsWith('{"a":"xxx'));
  });

  it('an object with more than maxFields keys is a too_many_fields row; nested keys and string commas do not count', async () => {
    const wide = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const nested = `{"a":"x,y,z","b":{"c":1,"d":2,"e":3}}`;
    const rows = await collectRows(
      parseJsonArray({ source, maxFields: 3 })(chunked(`[{"a":1},${wide},${nested}]`, 65536)),
    );
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'too_many_fields'],
      [3, null],
    ]);
    assert.match(rows[1]?.problem?.message ?? '', /array element has more than 3 fields/);
    assert.ok((rows[1]?.fields._raw?.length ?? 0) <= 1025);
  });

  it('an element nested deeper than maxDepth is a too_deep row, even a million levels deep', async () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const text = `[{"a":1},${deep},{"b":{"c":[1,{"d":2}]}},{"e":${'['.repeat(70)}${']'.repeat(70)}}]`;
    const rows = await rowsOf(
      parseJsonArray({ source, maxRowBytes: 4 * 1024 * 1024 }),
      text,
      65536,
    );
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'too_deep'],
      [3, null],
      [4, 'too_deep'],
    ]);
    assert.throws(() => parseJsonArray({ source, maxDepth: 0 }), OptionsError);
  });

  it('numbers keep their text; invalid UTF-8 is flagged; a U+FFFD in the input is a character', async () => {
    const input = Buffer.concat([
      Buffer.from('[{"user_id":1e3,"n":9007199254740990.9},{"a":"'),
      Buffer.from([0xff]),
      Buffer.from('"},{"a":"\uFFFD �"}]'),
    ]);
    const rows = await rowsOf(parseJsonArray({ source }), input, 3);
    assert.deepEqual(
      rows.map((r) => [r.problem?.reason ?? null, r.fields]),
      [
        [null, { user_id: '1e3', n: '9007199254740990.9' }],
        ['invalid_utf8', { a: '\uFFFD' }],
        [null, { a: '\uFFFD \uFFFD' }],
      ],
    );
  });

  it('[] yields nothing; 0 bytes fails with EMPTY_FILE; batches respect batchSize', async () => {
    assert.deepEqual(await rowsOf(parseJsonArray({ source }), '[ ]'), []);
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

  it('stops between batches when the signal aborts', async () => {
    const elements = ndjsonRows(100).trimEnd().split('\n').join(',');
    await assertStopsOnAbort(parseJsonArray({ source, batchSize: 10 }), `[${elements}]`);
  });
});
