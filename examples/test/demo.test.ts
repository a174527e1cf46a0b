import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { collect, ROOT, startScript } from './helpers/spawn-cli.js';

describe('pnpm demo', () => {
  it('prints one day’s KPI table and the run summary, exits 0 and removes its temp files', async () => {
    const before = new Set((await readdir(tmpdir())).filter((f) => f.startsWith('kpis-demo-')));
    // A smaller dataset than the default keeps the suite fast; the flow is the same.
    const r = await collect(
      startScript(join(ROOT, 'examples/src/demo.ts'), [], { DEMO_ROWS: '8000' }),
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const title = lines.findIndex((l) =>
      /^KPIs for \d{4}-\d{2}-\d{2} — 114 genres, top 15 by listens$/.test(l),
    );
    assert.ok(title >= 0, r.stdout);
    assert.match(lines[title + 1]!, /^genre\s+listens\s+unique listeners\s+avg s\s+top 3 songs$/);
    const rows = lines.slice(title + 3, title + 18);
    for (const row of rows) assert.match(row, /^\S+\s+[\d,]+\s+[\d,]+\s+\d+\.\d{2}\s+\S/);
    const listens = rows.map((row) => Number(row.split(/\s+/)[1]!.replaceAll(',', '')));
    assert.deepEqual(
      listens,
      [...listens].sort((a, b) => b - a),
    );
    assert.match(r.stdout, /^status\s+ok$/m);
    assert.match(r.stdout, /^rows read\s+8,000$/m);
    assert.match(r.stdout, /^objects\s+processed 4, skipped 0, archived 4, rejected 0, failed 0$/m);
    const after = (await readdir(tmpdir())).filter(
      (f) => f.startsWith('kpis-demo-') && !before.has(f),
    );
    assert.deepEqual(after, []);
  });
});
