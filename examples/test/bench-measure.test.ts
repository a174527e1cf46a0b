import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measure, parseProbeReport } from '../src/bench/measure.js';

describe('parseProbeReport', () => {
  it('sums per-pid peak RSS and CPU over the pids of a run', () => {
    assert.deepEqual(parseProbeReport('10 1000 250000\n11 500 1500\n'), {
      peakRssBytes: 1500 * 1024,
      cpuMs: 251.5,
    });
  });

  it('takes the largest figure when a pid reported twice', () => {
    assert.deepEqual(parseProbeReport('7 100 2000\n7 300 1000\n'), {
      peakRssBytes: 300 * 1024,
      cpuMs: 2,
    });
  });

  it('still parses old two-field lines, leaving the CPU undefined', () => {
    assert.deepEqual(parseProbeReport('7 100\n\n'), { peakRssBytes: 100 * 1024, cpuMs: undefined });
  });

  it('reports nothing for an empty file', () => {
    assert.deepEqual(parseProbeReport(''), { peakRssBytes: undefined, cpuMs: undefined });
  });
});

describe('measure', () => {
  it('collects CPU time and peak RSS from the preloaded probe of a real process', async () => {
    const m = await measure(process.execPath, [
      '-e',
      'let x = 0; for (let i = 0; i < 2e7; i++) x += i; if (x < 0) process.exit(3);',
    ]);
    assert.equal(m.exitCode, 0);
    assert.ok(m.cpuMs !== undefined && m.cpuMs > 0, `cpuMs: ${m.cpuMs}`);
    assert.ok(m.peakRssBytes !== undefined && m.peakRssBytes > 1024 * 1024);
  });
});
