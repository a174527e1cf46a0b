import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { createCaptureGate } from '../src/run/capture-gate.js';

/** Whether `p` has settled after the pending callbacks ran. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await tick();
  await tick();
  return done;
}

describe('createCaptureGate', () => {
  it('hands a read object’s slot on while commits still wait for its capture', async () => {
    const gate = createCaptureGate(1);
    const first = await gate.enter();
    const second = gate.enter();
    assert.equal(await settledYet(second), false, 'one slot: the second object waits');
    first.read();
    assert.equal(await settledYet(second), true, 'read: the next object takes the slot');
    assert.equal(await settledYet(gate.settled()), false, 'the first is still being stored');
    first.free();
    const next = await second;
    assert.equal(await settledYet(gate.settled()), false, 'the second is being captured');
    next.free();
    assert.equal(await settledYet(gate.settled()), true);
  });

  it('frees a slot that was never read (a failed capture), once, however often it is freed', async () => {
    const gate = createCaptureGate(1);
    const first = await gate.enter();
    const second = gate.enter();
    const third = gate.enter();
    first.free();
    first.free();
    first.read();
    assert.equal(await settledYet(second), true);
    assert.equal(await settledYet(third), false, 'freeing twice does not free two slots');
    (await second).free();
    assert.equal(await settledYet(third), true);
  });

  it('waits, for a mark, only for the captures that had entered when its object was read', async () => {
    const gate = createCaptureGate(1);
    const first = await gate.enter();
    const second = gate.enter();
    first.read();
    const next = await second;
    assert.equal(first.mark, 1, 'read before the second entered');
    const forFirst = gate.settled(first.mark);
    first.free();
    assert.equal(await settledYet(forFirst), true, 'the second entered after the first was read');
    assert.equal(await settledYet(gate.settled()), false, 'without a mark: every capture so far');
    next.read();
    assert.equal(next.mark, 2);
    assert.equal(await settledYet(gate.settled(next.mark)), false);
    next.free();
    assert.equal(await settledYet(gate.settled(next.mark)), true);
  });
});
