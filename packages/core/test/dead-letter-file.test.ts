import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DeadLetterEntry, fileDeadLetter, OptionsError } from '../src/index.js';
import { testSource } from './helpers/parse.js';

const source = testSource('a.csv');
const entry = (line: number): DeadLetterEntry => ({
  source,
  line,
  raw: { user_id: 'x', note: 'é, "quoted"\nnewline' },
  reasons: [{ reason: 'invalid_user_id', field: 'user_id', message: 'bad' }],
});

test('writes one JSON object per line and round-trips every entry, across many writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-'));
  try {
    const path = join(dir, 'dead.ndjson');
    const sink = fileDeadLetter({ path });
    const expected: DeadLetterEntry[] = [];
    for (let b = 0; b < 200; b++) {
      const batch = Array.from({ length: 50 }, (_, i) => entry(b * 50 + i + 2));
      expected.push(...batch);
      await sink.write(batch);
    }
    await sink.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 10_000);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      expected,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('creates no file when nothing was rejected; bad options throw OptionsError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-'));
  try {
    const path = join(dir, 'none.ndjson');
    const sink = fileDeadLetter({ path });
    await sink.write([]);
    await sink.close();
    assert.equal(existsSync(path), false);
    assert.throws(() => fileDeadLetter({ path: '' }), OptionsError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
