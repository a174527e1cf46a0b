import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunSummary } from '../src/index.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./helpers/large-csv-run.ts', import.meta.url));
const TOTAL_BYTES = 300 * 1024 * 1024;

describe('large-csv-memory', () => {
  it('a generated 300 MB CSV streams through parse → validate → counting sink with peak RSS growth under 150 MB', {
    timeout: 180_000,
  }, async () => {
    // A fresh process, so the RSS baseline and peak belong to this pipeline only.
    const { stdout } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', script],
      {
        env: { ...process.env, TOTAL_BYTES: String(TOTAL_BYTES) },
        maxBuffer: 1024 * 1024,
      },
    );
    const result = JSON.parse(stdout) as {
      baselineRss: number;
      deadLettered: number;
      summary: RunSummary;
    };
    const { summary } = result;
    assert.ok(summary.bytesRead >= TOTAL_BYTES, `read ${summary.bytesRead} bytes`);
    assert.ok(summary.rowsRead > 1_000_000, `read ${summary.rowsRead} rows`);
    assert.equal(summary.rowsRead, summary.rowsAggregated + summary.rowsRejected);
    assert.equal(summary.rowsRejected, Math.floor(summary.rowsRead / 997));
    assert.equal(result.deadLettered, summary.rowsRejected);
    const growth = summary.peakRssBytes - result.baselineRss;
    assert.ok(growth < 150 * 1024 * 1024, `peak RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
  });
});
