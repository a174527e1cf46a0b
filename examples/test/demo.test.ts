import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, collect, ROOT, startScript, waitForOutput } from './helpers/spawn-cli.js';

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

describe('pnpm demo with DEMO_KEEP=1', () => {
  it('ends with a dashboard command that serves the demo’s KPIs and runs until Ctrl-C', async () => {
    const demo = startScript(join(ROOT, 'examples/src/demo.ts'), [], {
      DEMO_ROWS: '3000',
      DEMO_KEEP: '1',
    });
    let dashboard: ChildProcess | undefined;
    try {
      const printed = await waitForOutput(demo, /press Ctrl-C to stop them\.\n/);
      const block = /See it in the browser: in another terminal run\n\n((?: {2}.*\n)+)/.exec(
        printed,
      );
      assert.ok(block, printed);
      // The printed command, as a shell would read it: VAR=value words, then pnpm kpis ….
      const words = block[1]!.replaceAll('\\\n', ' ').trim().split(/\s+/);
      const env: Record<string, string> = {};
      while (/^[A-Z0-9_]+=/.test(words[0]!)) {
        const [name, value] = words.shift()!.split('=') as [string, string];
        env[name] = value;
      }
      assert.deepEqual(words.slice(0, 3), ['pnpm', 'kpis', 'dashboard']);
      assert.deepEqual(Object.keys(env).sort(), [
        'AWS_ACCESS_KEY_ID',
        'AWS_ENDPOINT_URL_DYNAMODB',
        'AWS_ENDPOINT_URL_S3',
        'AWS_REGION',
        'AWS_SECRET_ACCESS_KEY',
      ]);
      dashboard = startScript(CLI, [...words.slice(2), '--port', '0'], env);
      const started = await waitForOutput(dashboard, /at (http:\/\/127\.0\.0\.1:\d+\/) /);
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/) /.exec(started)![1]!;
      const { dates } = (await (await fetch(`${url}api/dates`)).json()) as {
        dates: { date: string; genres: number }[];
      };
      assert.equal(dates.length, 2);
      for (const d of dates) assert.equal(d.genres, 114);
      const health = (await (await fetch(`${url}api/health`)).json()) as {
        available: boolean;
        runs: { command: string; ok: boolean }[];
      };
      assert.equal(health.available, true);
      assert.deepEqual(
        health.runs.map((r) => [r.command, r.ok]),
        [['demo', true]],
      );
      dashboard.kill('SIGINT');
      assert.equal((await collect(dashboard)).code, 0);
      dashboard = undefined;
      demo.kill('SIGINT');
      const end = await collect(demo);
      assert.equal(end.code, 0, end.stderr);
      assert.match(end.stdout, /^Stopping the emulators and deleting /m);
    } finally {
      dashboard?.kill('SIGKILL');
      if (demo.exitCode === null) demo.kill('SIGKILL');
    }
  });
});
