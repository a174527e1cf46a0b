import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryDeadLetter, OptionsError, PipelineError } from '../src/index.js';
import { testSource } from './helpers/parse.js';

const source = testSource('a.csv');
const entry = (line: number) => ({
  source,
  line,
  raw: { a: String(line) },
  reasons: [{ reason: 'x', message: 'y' }],
});

describe('dead-letter-memory', () => {
  it('keeps entries in order and refuses writes after close', async () => {
    const sink = memoryDeadLetter();
    await sink.write([entry(2), entry(3)]);
    await sink.write([entry(5)]);
    assert.deepEqual(
      sink.entries.map((e) => e.line),
      [2, 3, 5],
    );
    await sink.close();
    assert.equal(sink.closed, true);
    await assert.rejects(
      sink.write([entry(6)]),
      (e: unknown) =>
        e instanceof PipelineError &&
        e.code === 'DEAD_LETTER_CLOSED' &&
        e.message === 'memoryDeadLetter: write after close',
    );
    assert.equal(sink.entries.length, 3);
  });

  it('once its signal aborts, a write rejects with the signal’s reason and keeps nothing of it', async () => {
    const controller = new AbortController();
    const sink = memoryDeadLetter({ signal: controller.signal });
    await sink.write([entry(2)]);
    const reason = new Error('run cancelled');
    controller.abort(reason);
    await assert.rejects(sink.write([entry(3), entry(4)]), (e: unknown) => e === reason);
    assert.deepEqual(
      sink.entries.map((e) => e.line),
      [2],
    );
    await sink.close();
    assert.equal(sink.closed, true);
  });

  it('bad options throw OptionsError naming the factory and the option', () => {
    assert.throws(
      () => memoryDeadLetter({ signal: 'soon' } as never),
      (e: unknown) =>
        e instanceof OptionsError &&
        /^memoryDeadLetter: invalid options — `signal`: /.test(e.message),
    );
    assert.throws(
      () => memoryDeadLetter({ limit: 10 } as never),
      (e: unknown) => e instanceof OptionsError && /^memoryDeadLetter: .*limit/.test(e.message),
    );
  });
});
