import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolTasks } from '../src/pool/internal/task-deadline.js';

/** A task body that runs until `release()`; `started` resolves when a slot took it up. */
function gate() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { release, body: () => released };
}

describe('pool tasks', () => {
  it('start in call order, calls marked ahead before the unmarked ones queued earlier', async () => {
    const tasks = poolTasks(1, 60_000);
    const first = gate();
    const order: string[] = [];
    const done = [tasks.run('first', undefined, first.body)];
    for (const [name, ahead] of [
      ['read a', false],
      ['merge b', true],
      ['read c', false],
      ['merge d', true],
    ] as const) {
      done.push(
        tasks.run(
          name,
          undefined,
          async () => {
            order.push(name);
          },
          false,
          ahead,
        ),
      );
    }
    assert.deepEqual(tasks.pending(), ['first', 'read a', 'merge b', 'read c', 'merge d']);
    first.release();
    await Promise.all(done);
    assert.deepEqual(order, ['merge b', 'merge d', 'read a', 'read c']);
    assert.deepEqual(tasks.pending(), []);
  });

  it('runs up to `threads` at once; an aborted queued call rejects at once and never runs', async () => {
    const tasks = poolTasks(2, 60_000);
    const a = gate();
    const b = gate();
    let running = 0;
    let most = 0;
    const body = (g: ReturnType<typeof gate>) => async () => {
      running++;
      most = Math.max(most, running);
      await g.body();
      running--;
    };
    const runs = [tasks.run('a', undefined, body(a)), tasks.run('b', undefined, body(b))];
    const controller = new AbortController();
    let ran = false;
    const queued = tasks.run(
      'queued',
      controller.signal,
      async () => {
        ran = true;
      },
      false,
      true,
    );
    const later = tasks.run('later', undefined, async () => 'later');
    controller.abort(new Error('given up'));
    await assert.rejects(queued, /given up/);
    a.release();
    b.release();
    await Promise.all(runs);
    assert.equal(await later, 'later');
    assert.equal(ran, false);
    assert.equal(most, 2);
  });
});
