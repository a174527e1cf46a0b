import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CpuSplitPoint, cpuSplit, formatCpuSplit } from '../src/bench/cpu-split.js';

const point = (
  rows: number,
  toolCpuMs: number | undefined,
  emulatorCpuMs: number | undefined,
  wallMs = 10_000,
): CpuSplitPoint => ({ rows, wallMs, toolCpuMs, emulatorCpuMs });

describe('cpuSplit', () => {
  it('gives seconds and the emulators share of the total CPU per size, ascending', () => {
    assert.deepEqual(
      cpuSplit([point(5_000_000, 12_000, 8_000, 15_432), point(1_000_000, 3_000, 1_000)]),
      [
        { rows: 1_000_000, wallS: 10, toolCpuS: 3, emulatorCpuS: 1, emulatorSharePct: 25 },
        { rows: 5_000_000, wallS: 15.43, toolCpuS: 12, emulatorCpuS: 8, emulatorSharePct: 40 },
      ],
    );
  });

  it('leaves out sizes missing either CPU figure', () => {
    const rows = cpuSplit([point(1, undefined, 5), point(2, 5, undefined), point(3, 1, 2)]);
    assert.deepEqual(
      rows.map((r) => r.rows),
      [3],
    );
  });

  it('reports a 0% share rather than NaN when no CPU was used', () => {
    assert.equal(cpuSplit([point(1, 0, 0)])[0]?.emulatorSharePct, 0);
  });
});

describe('formatCpuSplit', () => {
  it('renders a row per size and the explanation naming the core count', () => {
    const md = formatCpuSplit([point(1_000_000, 6_000, 2_000, 7_250)], 2).join('\n');
    assert.match(md, /^## CPU split \(s3 runs\)$/m);
    assert.match(md, /^\| 1,000,000 \| 7\.25 \| 6\.00 \| 2\.00 \| 25\.0% \|$/m);
    assert.match(md, /^On 2 core\(s\) the emulators' CPU competes with the tool's worker threads/m);
    assert.doesNotMatch(md, /not shown/);
  });

  it('is empty when no s3 result ran', () => {
    assert.deepEqual(formatCpuSplit([], 2), []);
  });

  it('explains the absence of figures instead of printing an empty table', () => {
    const md = formatCpuSplit([point(1_000, undefined, 3)], 2).join('\n');
    assert.match(md, /no split to show/);
    assert.doesNotMatch(md, /\| stream rows \|/);
  });

  it('counts the sizes left out for missing figures', () => {
    const md = formatCpuSplit([point(1_000, 1, 1), point(2_000, undefined, 1)], 2).join('\n');
    assert.match(md, /^1 size\(s\) without both CPU figures are not shown\.$/m);
  });
});
