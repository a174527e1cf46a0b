import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError, parseNdjson } from '../src/index.js';
import {
  assertStopsOnAbort,
  chunked,
  collectRows,
  lineReasons,
  ndjsonRows,
  rowsOf,
  runawayLine,
  testSource,
} from './helpers/parse.js';

const source = testSource('streams.ndjson');

describe('parse-ndjson', () => {
  it('parses one object per line, stringifies scalars and numbers rows by physical line', async () => {
    const rows = await rowsOf(
      parseNdjson({ source }),
      '\uFEFF{"user_id":7,"track_id":"t1","listen_time":"2024-06-25 17:43:13"}\r\n\n  \n{"user_id":"8","ok":true,"n":null,"x":{"y":1}}',
    );
    assert.deepEqual(
      rows.map((r) => [r.line, r.fields, r.problem]),
      [
        [1, { user_id: '7', track_id: 't1', listen_time: '2024-06-25 17:43:13' }, undefined],
        [4, { user_id: '8', ok: 'true', n: '', x: '{"y":1}' }, undefined],
      ],
    );
  });

  it('a malformed line and a non-object line become rows with problems; parsing continues', async () => {
    const rows = await rowsOf(parseNdjson({ source }), '{"a":1}\n{"a":\n[1,2]\n{"a":2}\n');
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'malformed_json'],
      [3, 'not_an_object'],
      [4, null],
    ]);
    assert.deepEqual(rows[1]?.fields, { _raw: '{"a":' });
  });

  it('invalid UTF-8 marks the line invalid_utf8', async () => {
    const input = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    const rows = await collectRows(parseNdjson({ source })([input]));
    assert.equal(rows[0]?.problem?.reason, 'invalid_utf8');
  });

  it('the header passed to onHeader is the keys of the first object', async () => {
    const headers: string[][] = [];
    await collectRows(
      parseNdjson({ source, onHeader: (h) => headers.push([...h]) })(
        chunked('{"b":1,"a":2}\n{"c":3}\n'),
      ),
    );
    assert.deepEqual(headers, [['b', 'a']]);
  });

  it('a line with more than maxFields keys is a too_many_fields row naming the line', async () => {
    const wide = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const rows = await collectRows(
      parseNdjson({ source, maxFields: 2 })(chunked(`{"a":1,"b":2}\n${wide}\n{"a":3}\n`, 65536)),
    );
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'too_many_fields'],
      [3, null],
    ]);
    assert.ok((rows[1]?.fields._raw?.length ?? 0) <= 1025);
  });

  it('a runaway line is a row_too_large row naming the line, holding only its first KiB', async () => {
    const rows = await collectRows(
      parseNdjson({ source, maxRowBytes: 65536 })(runawayLine('{"a":1}\n{"a":"', 5_000_000)),
    );
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'row_too_large'],
    ]);
    assert.ok((rows[1]?.fields._raw?.length ?? 0) <= 1025);
    const after = await rowsOf(
      parseNdjson({ source, maxRowBytes: 64 }),
      `{"a":"${'x'.repeat(100)}"}\n{"a":2}\n`,
      5,
    );
    assert.deepEqual(lineReasons(after), [
      [1, 'row_too_large'],
      [2, null],
    ]);
    assert.match(after[0]?.fields._raw ?? '', /^\{"a":"x{50,}$/);
    assert.deepEqual(after[1]?.fields, { a: '2' });
  });

  it('a line nested deeper than maxDepth is a too_deep row, even 100k levels deep', async () => {
    const deep = `{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const rows = await rowsOf(parseNdjson({ source }), `{"a":1}\n${deep}\n{"b":[[1]]}\n`, 65536);
    assert.deepEqual(lineReasons(rows), [
      [1, null],
      [2, 'too_deep'],
      [3, null],
    ]);
    const shallow = await rowsOf(parseNdjson({ source, maxDepth: 2 }), '{"a":{"b":[1]}}\n');
    assert.equal(shallow[0]?.problem?.reason, 'too_deep');
  });

  it('numbers of fields keep their text, so 1e3 and 9007199254740990.9 are not ids', async () => {
    const rows = await rowsOf(
      parseNdjson({ source }),
      '{"user_id":1e3,"b":-0.50,"c":[1e3],"user_id2":9007199254740990.9}\n{"x":1,"x":2E1}\n',
    );
    assert.deepEqual(
      rows.map((r) => r.fields),
      [{ user_id: '1e3', b: '-0.50', c: '[1000]', user_id2: '9007199254740990.9' }, { x: '2E1' }],
    );
  });

  it('a U+FFFD written in the input is a character, not a decoding error', async () => {
    const rows = await rowsOf(parseNdjson({ source }), '{"a":"�","b":"\uFFFD"}\n');
    assert.deepEqual(
      rows.map((r) => [r.problem, r.fields]),
      [[undefined, { a: '�', b: '�' }]],
    );
  });

  it('an empty file fails with EMPTY_FILE; bad options with OptionsError', async () => {
    await assert.rejects(collectRows(parseNdjson({ source })([])), { code: 'EMPTY_FILE' });
    assert.throws(() => parseNdjson({ source, batchSize: 1.5 }), OptionsError);
  });

  it('stops between batches when the signal aborts', async () => {
    await assertStopsOnAbort(parseNdjson({ source, batchSize: 10 }), ndjsonRows(100));
  });
});
