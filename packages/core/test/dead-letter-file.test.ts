import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type DeadLetterEntry, fileDeadLetter, OptionsError, PipelineError } from '../src/index.js';
import { testSource } from './helpers/parse.js';

const source = testSource('a.csv');

/** Runs `body` in a fresh temporary folder, removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dl-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = (line: number): DeadLetterEntry => ({
  source,
  line,
  raw: { user_id: 'x', note: 'é, "quoted"\nnewline' },
  reasons: [{ reason: 'invalid_user_id', field: 'user_id', message: 'bad' }],
});

describe('dead-letter-file', () => {
  it('writes one JSON object per line and round-trips every entry, across many writes', () =>
    inTempDir(async (dir) => {
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
    }));

  it('creates no file when nothing was rejected; bad options throw OptionsError', () =>
    inTempDir(async (dir) => {
      const path = join(dir, 'none.ndjson');
      const sink = fileDeadLetter({ path });
      await sink.write([]);
      await sink.close();
      assert.equal(existsSync(path), false);
      assert.throws(() => fileDeadLetter({ path: '' }), OptionsError);
    }));

  it('refuses a write after close with DEAD_LETTER_CLOSED; the file keeps what was written', () =>
    inTempDir(async (dir) => {
      const path = join(dir, 'closed.ndjson');
      const sink = fileDeadLetter({ path });
      await sink.write([entry(2)]);
      await sink.close();
      await assert.rejects(
        sink.write([entry(3)]),
        (e: unknown) => e instanceof PipelineError && e.code === 'DEAD_LETTER_CLOSED',
      );
      assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 1);
    }));

  it('an abort rejects the next write with the signal’s reason and removes the partial file', () =>
    inTempDir(async (dir) => {
      const path = join(dir, 'aborted.ndjson');
      const controller = new AbortController();
      const sink = fileDeadLetter({ path, signal: controller.signal });
      await sink.write([entry(2), entry(3)]);
      assert.equal(existsSync(path), true);
      const reason = new Error('run cancelled');
      controller.abort(reason);
      await assert.rejects(sink.write([entry(4)]), (e: unknown) => e === reason);
      await sink.close();
      assert.equal(existsSync(path), false);
    }));

  it('an abort while a write waits for the file to drain rejects that write with the reason', () =>
    inTempDir(async (dir) => {
      const path = join(dir, 'draining.ndjson');
      const controller = new AbortController();
      const sink = fileDeadLetter({ path, signal: controller.signal });
      // Far more than the stream's 16 KiB buffer: the write waits for `drain`.
      const pending = sink.write(Array.from({ length: 2_000 }, (_, i) => entry(i + 2)));
      const reason = new Error('run cancelled');
      controller.abort(reason);
      await assert.rejects(pending, (e: unknown) => e === reason);
      await sink.close();
      assert.equal(existsSync(path), false);
    }));

  it('bad options throw OptionsError naming the factory and the option, before any file exists', () => {
    const path = join(tmpdir(), `dl-never-${process.pid}.ndjson`);
    for (const [options, option] of [
      [{ path: 7 }, 'path'],
      [{ path, signal: 'later' }, 'signal'],
      [{ path, flags: 'a' }, 'flags'],
    ] as const) {
      assert.throws(
        () => fileDeadLetter(options as never),
        (e: unknown) =>
          e instanceof OptionsError &&
          e.message.startsWith('fileDeadLetter: invalid options') &&
          e.message.includes(option),
        option,
      );
    }
    assert.equal(existsSync(path), false);
  });

  it('a path in a folder that does not exist rejects the first write with the open error', () =>
    inTempDir(async (dir) => {
      const sink = fileDeadLetter({ path: join(dir, 'missing', 'dead.ndjson') });
      await assert.rejects(sink.write([entry(2)]), { code: 'ENOENT', syscall: 'open' });
    }));
});
