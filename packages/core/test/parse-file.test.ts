import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  detectFormat,
  HeaderError,
  OptionsError,
  ParseError,
  parseFile,
  RunMetrics,
} from '../src/index.js';
import {
  assertStopsOnAbort,
  chunked,
  collectRows,
  ndjsonRows,
  testSource,
} from './helpers/parse.js';

const csv = 'user_id,track_id,listen_time\n1,t1,2024-06-25 17:43:13\n';
const ndjson = '{"user_id":1,"track_id":"t1","listen_time":"2024-06-25 17:43:13"}\n';
const json = '[{"user_id":1,"track_id":"t1","listen_time":"2024-06-25 17:43:13"}]';
const expected = { user_id: '1', track_id: 't1', listen_time: '2024-06-25 17:43:13' };

describe('parse-file', () => {
  it('detects the format from the key suffix, with or without .gz', () => {
    assert.equal(detectFormat('streams/a.csv'), 'csv');
    assert.equal(detectFormat('streams/a.CSV.GZ'), 'csv');
    assert.equal(detectFormat('a.ndjson'), 'ndjson');
    assert.equal(detectFormat('a.jsonl.gz'), 'ndjson');
    assert.equal(detectFormat('a.json'), 'json');
    assert.equal(detectFormat('a.tsv'), undefined);
  });

  for (const [key, text] of [
    ['s.csv', csv],
    ['s.ndjson', ndjson],
    ['s.jsonl', ndjson],
    ['s.json', json],
  ] as const) {
    it(`parses ${key} plain and gzipped (by name and by magic bytes)`, async () => {
      for (const [name, bytes] of [
        [key, Buffer.from(text)],
        [`${key}.gz`, gzipSync(text)],
        [key, gzipSync(text)],
      ] as const) {
        const rows = await collectRows(
          parseFile({ source: testSource(name) })(Readable.from(chunked(bytes, 9))),
        );
        assert.deepEqual(
          rows.map((r) => r.fields),
          [expected],
          name,
        );
      }
    });
  }

  it('the format option overrides the key', async () => {
    const rows = await collectRows(
      parseFile({ source: testSource('blob.bin'), format: 'ndjson' })([ndjson]),
    );
    assert.equal(rows.length, 1);
  });

  it('an unknown suffix without format fails with UNKNOWN_FORMAT before reading', () => {
    assert.throws(
      () => parseFile({ source: testSource('a.tsv') }),
      (err: unknown) => err instanceof ParseError && err.code === 'UNKNOWN_FORMAT',
    );
  });

  it('with a dataset, a header missing a required column fails before any row flows', async () => {
    const source = testSource('s.csv');
    const batches: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of parseFile({ source, dataset: 'streams', batchSize: 1 })(
          chunked('user_id,listen_time\n1,x\n2,y\n'),
        ))
          batches.push(b);
      })(),
      (err: unknown) => {
        assert.ok(err instanceof HeaderError);
        assert.equal(err.code, 'MISSING_COLUMNS');
        assert.deepEqual(err.missing, ['track_id']);
        assert.match(err.message, /track_id/);
        assert.equal(err.source, source);
        return true;
      },
    );
    assert.equal(batches.length, 0);
  });

  it('for JSON the keys of the first record are the header', async () => {
    await assert.rejects(
      collectRows(parseFile({ source: testSource('u.json'), dataset: 'users' })(['[{"id":1}]'])),
      { name: 'HeaderError', missing: ['user_id'] },
    );
  });

  it('counts raw (compressed) bytes and rows read into metrics', async () => {
    const metrics = new RunMetrics();
    const gz = gzipSync(csv);
    const source = testSource('s.csv.gz');
    await collectRows(parseFile({ source, metrics })([gz]));
    assert.equal(metrics.bytesRead, gz.length);
    assert.equal(metrics.rowsRead, 1);
    assert.equal(metrics.sources.get(source.id)?.rowsRead, 1);
  });

  it('stops between batches when the signal aborts, whatever the format', async () => {
    const rows = ndjsonRows(100);
    const csvRows = `user_id,track_id,listen_time\n${'1,t1,2024-06-25 17:43:13\n'.repeat(100)}`;
    const jsonRows = `[${rows.trimEnd().split('\n').join(',')}]`;
    for (const [key, text] of [
      ['a.csv', csvRows],
      ['a.ndjson', rows],
      ['a.json', jsonRows],
    ] as const) {
      await assertStopsOnAbort(parseFile({ source: testSource(key), batchSize: 10 }), text);
    }
  });

  it('rejects bad options before reading a byte', () => {
    const source = testSource('a.csv');
    assert.throws(() => parseFile({ source, batchSize: 0 }), OptionsError);
    assert.throws(() => parseFile({ source, format: 'tsv' } as never), OptionsError);
    assert.throws(() => parseFile({ source: testSource('a.tsv') }), /format|a\.tsv/i);
  });
});
