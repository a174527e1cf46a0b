import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatRssFlatness,
  RSS_FLATNESS_TARGET,
  type RssPoint,
  rssFlatness,
} from '../src/bench/rss-flatness.js';

const point = (rows: number, peakRssMb: number | undefined, wallMs = 1000): RssPoint => ({
  rows,
  peakRssMb,
  wallMs,
});

describe('rssFlatness', () => {
  it('uses 5M rows as the base when it ran, and lists every size ascending with its ratio', () => {
    const f = rssFlatness(
      [point(20_000_000, 330, 52_346), point(1_000_000, 250), point(5_000_000, 300)],
      [1_000_000, 5_000_000],
    );
    assert.deepEqual(f, {
      baseRows: 5_000_000,
      baseMb: 300,
      target: RSS_FLATNESS_TARGET,
      rows: [
        { rows: 1_000_000, mb: 250, ratio: 0.83, wallS: 1 },
        { rows: 5_000_000, mb: 300, ratio: 1, wallS: 1 },
        { rows: 20_000_000, mb: 330, ratio: 1.1, wallS: 52.35 },
      ],
      holds: true,
    });
  });

  it('falls back to the largest --rows size when 5M did not run', () => {
    const f = rssFlatness(
      [point(20_000, 100), point(10_000, 90), point(60_000, 150)],
      [10_000, 20_000],
    );
    assert.equal(f?.baseRows, 20_000);
    assert.equal(f?.rows.find((r) => r.rows === 60_000)?.ratio, 1.5);
    assert.equal(f?.holds, false);
  });

  it('does not take an --rss-rows size as the base even when it is larger', () => {
    const f = rssFlatness([point(5_000_000, 300), point(20_000_000, 900)], [5_000_000]);
    assert.equal(f?.baseRows, 5_000_000);
    assert.equal(f?.holds, false);
  });

  it('holds at exactly the target ratio and not above it', () => {
    assert.equal(
      rssFlatness([point(5_000_000, 100), point(20_000_000, 110)], [5_000_000])?.holds,
      true,
    );
    assert.equal(
      rssFlatness([point(5_000_000, 100), point(20_000_000, 110.5)], [5_000_000])?.holds,
      false,
    );
  });

  it('leaves holds undefined when no size above the base was measured', () => {
    const f = rssFlatness([point(1_000_000, 200), point(5_000_000, 300)], [1_000_000, 5_000_000]);
    assert.equal(f?.holds, undefined);
  });

  it('skips sizes without a peak RSS and returns undefined when no base has one', () => {
    const f = rssFlatness([point(5_000_000, 300), point(20_000_000, undefined)], [5_000_000]);
    assert.deepEqual(
      f?.rows.map((r) => r.rows),
      [5_000_000],
    );
    assert.equal(
      rssFlatness([point(5_000_000, undefined), point(20_000_000, 310)], [5_000_000]),
      undefined,
    );
  });
});

describe('formatRssFlatness', () => {
  it('renders a table row per size and states that the target holds with the largest ratio', () => {
    const f = rssFlatness(
      [point(5_000_000, 300.4, 13_060), point(20_000_000, 330, 50_000), point(10_000_000, 324)],
      [5_000_000],
    );
    const md = formatRssFlatness(f, 'KPI check: row accounting only.').join('\n');
    assert.match(md, /^## Memory vs rows \(`kpis local`\)$/m);
    assert.match(md, /^\| 5,000,000 \| 300 \| 1\.00× \| 13\.06 \|$/m);
    assert.match(md, /^\| 20,000,000 \| 330 \| 1\.10× \| 50\.00 \|$/m);
    assert.match(md, /: holds — largest ratio 1\.10× at 20,000,000 rows\.$/m);
    assert.match(md, /^KPI check: row accounting only\.$/m);
  });

  it('says the target does NOT hold when a larger size exceeds it', () => {
    const f = rssFlatness([point(5_000_000, 300), point(20_000_000, 400)], [5_000_000]);
    const md = formatRssFlatness(f, '').join('\n');
    assert.match(md, /does NOT hold — largest ratio 1\.33× at 20,000,000 rows/);
  });

  it('says the target was not checked when nothing above the base ran', () => {
    const f = rssFlatness([point(5_000_000, 300)], [5_000_000]);
    assert.match(
      formatRssFlatness(f, '').join('\n'),
      /not checked, no size above 5,000,000 rows ran/,
    );
  });

  it('explains a missing base instead of printing an empty table', () => {
    const md = formatRssFlatness(undefined, '').join('\n');
    assert.match(md, /no base to compare with/);
    assert.doesNotMatch(md, /\| stream rows \|/);
  });
});
