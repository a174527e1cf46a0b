import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OptionsError, ParseError } from '../src/index.js';
import { decompress, isGzip } from '../src/parse/decompress.js';
import { chunked, testSource } from './helpers/parse.js';

const source = testSource('data.csv.gz');

async function drain(chunks: AsyncIterable<Buffer>): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out).toString('utf8');
}

describe('decompress', () => {
  it('detects gzip by magic bytes, even split across 1-byte chunks, and gunzips in-stream', async () => {
    const text = 'a,b\n'.repeat(1000);
    const gz = gzipSync(text);
    assert.ok(isGzip(gz));
    assert.equal(await drain(decompress({ source })(chunked(gz, 1))), text);
  });

  it('passes plain bytes through unchanged', async () => {
    assert.equal(await drain(decompress({ source })(chunked('plain,text\n', 1))), 'plain,text\n');
    assert.equal(await drain(decompress({ source })([])), '');
  });

  it('reads concatenated gzip members', async () => {
    const gz = Buffer.concat([gzipSync('one\n'), gzipSync('two\n')]);
    assert.equal(await drain(decompress({ source })(chunked(gz, 5))), 'one\ntwo\n');
  });

  it('a truncated gzip file fails with GZIP_TRUNCATED naming the source', async () => {
    const gz = gzipSync('a,b\n'.repeat(10000));
    await assert.rejects(
      drain(decompress({ source })(chunked(gz.subarray(0, gz.length - 20), 100))),
      (err: unknown) => {
        assert.ok(err instanceof ParseError);
        assert.equal(err.code, 'GZIP_TRUNCATED');
        assert.equal(err.source, source);
        assert.match(err.message, /test:data\.csv\.gz/);
        return true;
      },
    );
  });

  it('corrupt gzip data fails with GZIP_CORRUPT', async () => {
    const gz = Buffer.from(gzipSync('hello world '.repeat(100)));
    gz.fill(0x41, 12, 40);
    await assert.rejects(drain(decompress({ source })([gz])), { code: 'GZIP_CORRUPT' });
  });

  it('returns the source iterator when the consumer stops early', async () => {
    let cleaned = false;
    async function* bytes() {
      try {
        for (;;) yield gzipSync('x'.repeat(1000));
      } finally {
        cleaned = true;
      }
    }
    for await (const _ of decompress({ source })(bytes())) break;
    assert.equal(cleaned, true);
    assert.throws(() => decompress({} as never), OptionsError);
  });
});
