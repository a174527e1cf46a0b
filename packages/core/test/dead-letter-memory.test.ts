import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryDeadLetter } from '../src/index.js';
import { testSource } from './helpers/parse.js';

test('keeps entries in order and refuses writes after close', async () => {
  const sink = memoryDeadLetter();
  const source = testSource('a.csv');
  const entry = (line: number) => ({
    source,
    line,
    raw: { a: String(line) },
    reasons: [{ reason: 'x', message: 'y' }],
  });
  await sink.write([entry(2), entry(3)]);
  await sink.write([entry(5)]);
  assert.deepEqual(
    sink.entries.map((e) => e.line),
    [2, 3, 5],
  );
  await sink.close();
  assert.equal(sink.closed, true);
  await assert.rejects(sink.write([entry(6)]), /after close/);
});
