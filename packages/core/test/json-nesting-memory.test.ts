/**
 * Deep nesting costs bytes, not memory: a 200 KB gzip of nested brackets
 * (≈200 MB of JSON) read on the main thread dead-letters its one bad
 * element and keeps the process under 300 MB RSS.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./helpers/deep-json-run.ts', import.meta.url));
const LEVELS = 100 * 1024 * 1024;

async function* nested(head: string, open: string, close: string, tail: string) {
  yield Buffer.from(head);
  const block = 1024 * 1024;
  for (const byte of [open, close]) {
    const chunk = Buffer.alloc(block, byte);
    for (let sent = 0; sent < LEVELS; sent += block) yield chunk;
  }
  yield Buffer.from(tail);
}

async function peakOf(path: string) {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', script, path],
    {
      maxBuffer: 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as {
    counts: { rowsRead: number; rowsAggregated: number; rowsRejected: number };
    reasons: string[];
    maxRssBytes: number;
  };
}

describe('deeply nested JSON on the main thread', { timeout: 180_000 }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkpi-deep-json-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, key, head, open, close, tail] of [
    [
      'a JSON array',
      'deep.json.gz',
      '[{"user_id":1,"track_id":"t1","listen_time":"2024-06-25 17:43:13"},',
      '[',
      ']',
      ']',
    ],
    [
      'an NDJSON line',
      'deep.ndjson.gz',
      '{"user_id":1,"track_id":"t1","listen_time":"2024-06-25 17:43:13"}\n{"a":',
      '[',
      ']',
      '}\n',
    ],
  ] as const) {
    it(`${name}: 200 KB of gzip, 200 MB of brackets: one row dead-lettered, peak RSS < 300 MB`, async () => {
      const path = join(dir, key);
      await pipeline(
        Readable.from(nested(head, open, close, tail)),
        createGzip({ level: 9 }),
        createWriteStream(path),
      );
      const { size } = await stat(path);
      assert.ok(size < 400 * 1024, `gzip is ${size} bytes`);
      const result = await peakOf(path);
      assert.deepEqual(result.counts.rowsRead, 2);
      assert.deepEqual(result.counts.rowsAggregated, 1);
      assert.deepEqual(result.counts.rowsRejected, 1);
      assert.equal(result.reasons.length, 1);
      assert.match(result.reasons[0] ?? '', /^(too_deep|row_too_large)$/);
      assert.ok(
        result.maxRssBytes < 300 * 1024 * 1024,
        `peak RSS ${(result.maxRssBytes / 1048576).toFixed(0)} MiB`,
      );
    });
  }
});
