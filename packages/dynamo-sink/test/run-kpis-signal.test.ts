import assert from 'node:assert/strict';
import { it } from 'node:test';
import { songsCsv, streamsCsv, useEmulators } from './helpers/e2e.js';

const env = useEmulators();

/** Counts the `abort` listeners on `signal` now and at most. */
function countListeners(signal: AbortSignal): { live: () => number; peak: () => number } {
  const added = new Set<unknown>();
  let peak = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: never, options?: never) => {
    if (type === 'abort') {
      added.add(listener);
      peak = Math.max(peak, added.size);
    }
    add(type, listener, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: never, options?: never) => {
    if (type === 'abort') added.delete(listener);
    remove(type, listener, options);
  }) as typeof signal.removeEventListener;
  return { live: () => added.size, peak: () => peak };
}

it('keeps the abort listeners on the run signal under Node’s warning limit while dates commit at once, and removes them all', async () => {
  await env.put('songs/songs.csv', songsCsv());
  // 10 objects × 6 dates: 6 dates commit 4 at a time, each reading 10 partials 8 at a time.
  for (let f = 0; f < 10; f++) {
    const rows = Array.from({ length: 6 }, (_, d) => ({
      user_id: f + 1,
      track_id: 't1',
      listen_time: `2024-06-${String(20 + d).padStart(2, '0')} 10:00:00`,
    }));
    await env.put(`streams/f${f}.csv`, streamsCsv(rows));
  }
  const warnings: Error[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') warnings.push(w);
  };
  process.on('warning', onWarning);
  const controller = new AbortController();
  const listeners = countListeners(controller.signal);
  try {
    const summary = await env.run({ threads: 0, concurrency: 4, signal: controller.signal });
    assert.equal(summary.ok, true);
    assert.equal(summary.dates.length, 6);
    assert.ok(summary.dates.every((d) => d.version === 10));
  } finally {
    process.off('warning', onWarning);
  }
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(warnings, []);
  assert.ok(listeners.peak() <= 10, `peak ${listeners.peak()} listeners on the run signal`);
  assert.equal(listeners.live(), 0);
});
