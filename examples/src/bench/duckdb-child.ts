/**
 * The DuckDB tool of the benchmark, run as its own process:
 * `duckdb-child.ts --input DIR --out FILE [--threads N] [--mode per-file|one-statement]
 *   [--summary-json FILE]`.
 * Writes one KPI item per line (NDJSON).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { computeDuckDbKpis } from '../duckdb-kpis.js';

const { values } = parseArgs({
  options: {
    input: { type: 'string' },
    out: { type: 'string' },
    threads: { type: 'string', default: '2' },
    mode: { type: 'string', default: 'per-file' },
    'summary-json': { type: 'string' },
  },
});
if (values.input === undefined || values.out === undefined) {
  process.stderr.write(
    'usage: duckdb-child.ts --input DIR --out FILE [--threads N] [--mode per-file|one-statement]\n',
  );
  process.exit(2);
}
const start = performance.now();
const { items, counts } = await computeDuckDbKpis({
  input: values.input,
  threads: Number(values.threads),
  mode: values.mode as 'per-file' | 'one-statement',
});
await writeFile(values.out, items.map((i) => `${JSON.stringify(i)}\n`).join(''));
if (values['summary-json'] !== undefined) {
  const durationMs = performance.now() - start;
  await writeFile(
    values['summary-json'],
    JSON.stringify({ ...counts, items: items.length, durationMs }, null, 2),
  );
}
