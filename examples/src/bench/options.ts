/**
 * The command line of the tools scenario of `pnpm bench`: flags, their
 * checks, and the command each tool runs (see bench.ts for what they mean).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const EXAMPLES = join(ROOT, 'examples');
export const CLI = join(EXAMPLES, 'dist/cli.js');
const NODE = process.execPath;

/** Every tool, in the order they run at a size (the reference first). */
export const TOOLS = ['duckdb-glob', 'duckdb', 'local', 'local-1t', 's3'] as const;
/** The DuckDB tools: their KPIs are the reference. */
export const DUCKDB_TOOLS: readonly string[] = ['duckdb-glob', 'duckdb'];

/**
 * The tools run as built JavaScript, as a user runs them: through tsx, every
 * process and worker thread would also pay for compiling the sources (time
 * and memory that are not the pipeline's). `tsc -b` is incremental.
 */
export function buildTools(): void {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const configs = ['core', 's3-source', 'dynamo-sink'].map(
    (p) => `packages/${p}/tsconfig.build.json`,
  );
  process.stdout.write('building (tsc -b)…\n');
  const built = spawnSync(
    process.execPath,
    [tsc, '-b', ...configs, 'examples/tsconfig.build.json'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (built.status !== 0) {
    process.stderr.write('bench: the build failed\n');
    process.exit(1);
  }
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    fail(`expected --${name} to be a positive integer, got "${text}"`);
  }
  return n;
}

function sizeList(name: string, text: string): number[] {
  return text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((r) => positiveInt(name, r.replaceAll('_', '')));
}

/** Reads and checks the flags (exits with code 2 and a message on a bad one). */
export function benchOptions(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string', default: 'tools' },
      rows: { type: 'string', default: '1000000,5000000' },
      'rss-rows': { type: 'string', default: '50000000' },
      'rss-duckdb': { type: 'boolean', default: false },
      reps: { type: 'string', default: '3' },
      tools: { type: 'string', default: TOOLS.join(',') },
      files: { type: 'string', default: '8' },
      days: { type: 'string', default: '7' },
      dirty: { type: 'string', default: '0.01' },
      seed: { type: 'string', default: '42' },
      threads: { type: 'string', default: '2' },
      out: { type: 'string', default: join(EXAMPLES, 'bench/results') },
      cache: { type: 'string', default: join(EXAMPLES, 'bench/cache') },
      'local-cmd': { type: 'string', default: process.env.BENCH_LOCAL_CMD },
      's3-cmd': { type: 'string', default: process.env.BENCH_S3_CMD },
    },
  });
  const sizes = sizeList('rows', values.rows);
  if (sizes.length === 0) fail('expected --rows to list at least one size');
  const tools = values.tools.split(',').map((t) => t.trim());
  for (const t of tools) {
    if (!(TOOLS as readonly string[]).includes(t)) {
      fail(`unknown tool "${t}" (expected ${TOOLS.join(', ')})`);
    }
  }
  const duckdb = `${NODE} ${join(EXAMPLES, 'dist/bench/duckdb-child.js')} --input {input} --out {out} --summary-json {summary} --threads ${values.threads}`;
  const cli = existsSync(CLI);
  const commands: Record<string, string | undefined> = {
    'duckdb-glob': `${duckdb} --mode one-statement`,
    duckdb,
    local:
      values['local-cmd'] ??
      (cli
        ? `${NODE} ${CLI} local --input {input} --out {out} --summary-json {summary} --reference-cache {refcache}`
        : undefined),
    'local-1t': cli
      ? `${NODE} ${CLI} local --threads 0 --input {input} --out {out} --summary-json {summary} --reference-cache {refcache}`
      : undefined,
    s3:
      values['s3-cmd'] ??
      (cli
        ? `${NODE} ${CLI} run --bucket {bucket} --table {table} --s3-force-path-style --summary-json {summary} --reference-cache {refcache}`
        : undefined),
  };
  return {
    values,
    sizes,
    // A size already in --rows is measured there with every tool.
    rssSizes: [...new Set(sizeList('rss-rows', values['rss-rows']))].filter(
      (r) => !sizes.includes(r),
    ),
    reps: positiveInt('reps', values.reps),
    streamFiles: positiveInt('files', values.files),
    days: positiveInt('days', values.days),
    seed: positiveInt('seed', values.seed),
    dirtyRate: Number(values.dirty),
    tools: TOOLS.filter((t) => tools.includes(t)) as string[],
    commands,
  };
}

/** The checked flags of the tools scenario. */
export type BenchOptions = ReturnType<typeof benchOptions>;

/** The command template filled with `vars`, split into argv. */
export function fill(template: string, vars: Record<string, string>): string[] {
  return template
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? `{${k}}`));
}
