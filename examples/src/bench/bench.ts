/**
 * `pnpm bench [--scenario tools|arrivals] [--rows 1000000,5000000] [--reps 3] [--tools duckdb,local,local-1t,s3]
 *   [--rss-rows 20000000] [--rss-duckdb]`
 *
 * Builds the packages and examples (`tsc -b`), generates (and caches)
 * datasets, runs each tool from the built JavaScript as a separate process
 * `--reps` times, and writes medians of wall time, rows/s and peak RSS to
 * `examples/bench/results/<date>.{md,json,svg}`. DuckDB is also the oracle:
 * any tool whose KPIs differ from DuckDB's fails the run (exit code 1).
 *
 * `--scenario arrivals` runs the drop-by-drop scenario instead (arrivals.ts).
 *
 * Tools:
 * - `duckdb`: `dist/bench/duckdb-child.js` (SQL over the files, `--threads`, default 2).
 * - `local`: the runner CLI, `kpis local --input DIR --out FILE` (override the
 *   command with `--local-cmd` / `BENCH_LOCAL_CMD`), worker threads = cores.
 * - `local-1t`: the same with `--threads 0`: one thread, no worker isolates
 *   (the memory-lean configuration).
 * - `s3`: the runner CLI against s3rver → dynalite running in another
 *   process, `kpis run --bucket B --table T` (override with `--s3-cmd` /
 *   `BENCH_S3_CMD`). The upload before each repetition is not timed.
 *   The emulators' process reports its CPU time before and after each
 *   measured command; the report's "CPU split (s3 runs)" section compares it
 *   with the CPU of `kpis run`, so the emulators' share of an S3 run is visible.
 * Command templates may use {input} {out} {summary} {bucket} {table}.
 * `local` and `s3` are skipped with a message while `examples/dist/cli.js` does
 * not exist and no command is given.
 *
 * Memory flatness (peak RSS at 20M rows against that at 5M, same days
 * and users): `--rss-rows` (default `20000000`, `''` disables) lists extra
 * sizes, generated with the same files/days/dirty/seed, at which only `local`
 * runs (`--reps` times; needs `local` in `--tools`), and `duckdb` too with
 * `--rss-duckdb`. Without DuckDB there is no reference at those sizes, so
 * their KPI check is row accounting only: the summary's `rowsRead` must equal
 * the manifest's stream rows and `ok` be true. The report's "Memory vs rows"
 * section (and `rssFlatness` in the JSON) gives `local`'s median peak RSS per
 * size as a ratio to its peak at 5M rows (else the largest `--rows` size);
 * these sizes stay out of the main table and the chart.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import {
  generateDataset,
  MANIFEST_FILE,
  type Manifest,
  uploadDirectory,
} from '../generate/index.js';
import { renderChart } from './chart.js';
import { firstDifference } from './compare.js';
import { formatCpuSplit } from './cpu-split.js';
import { type Measurement, measure, median } from './measure.js';
import { formatRssFlatness, rssFlatness } from './rss-flatness.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const EXAMPLES = join(ROOT, 'examples');
const CLI = join(EXAMPLES, 'dist/cli.js');
const NODE = process.execPath;

/**
 * The tools run as built JavaScript, as a user runs them: through tsx, every
 * process and worker thread would also pay for compiling the sources (time
 * and memory that are not the pipeline's). `tsc -b` is incremental.
 */
function buildTools(): void {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const configs = ['core', 's3-source', 'dynamo-sink'].map(
    (p) => `packages/${p}/tsconfig.build.json`,
  );
  process.stdout.write('building (tsc -b)…\n');
  const built = spawnSync(
    process.execPath,
    [tsc, '-b', ...configs, 'examples/tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (built.status !== 0) {
    process.stderr.write('bench: the build failed\n');
    process.exit(1);
  }
}

// `--scenario arrivals` is its own run (see arrivals.ts); the default scenario is the tools table.
const { scenario } = parseArgs({
  options: { scenario: { type: 'string', default: 'tools' } },
  strict: false,
}).values;
if (scenario === 'arrivals') {
  const { runArrivals } = await import('./arrivals.js');
  process.exit(await runArrivals(process.argv.slice(2), join(EXAMPLES, 'bench/results')));
} else if (scenario !== 'tools') {
  process.stderr.write(
    `bench: unknown --scenario "${String(scenario)}" (expected tools or arrivals)\n`,
  );
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'tools' },
    rows: { type: 'string', default: '1000000,5000000' },
    'rss-rows': { type: 'string', default: '20000000' },
    'rss-duckdb': { type: 'boolean', default: false },
    reps: { type: 'string', default: '3' },
    tools: { type: 'string', default: 'duckdb,local,local-1t,s3' },
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

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: expected --${name} to be a positive integer, got "${text}"\n`);
    process.exit(2);
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

const sizes = sizeList('rows', values.rows);
if (sizes.length === 0) {
  process.stderr.write('bench: expected --rows to list at least one size\n');
  process.exit(2);
}
// A size already in --rows is measured there with every tool.
const rssSizes = [...new Set(sizeList('rss-rows', values['rss-rows']))].filter(
  (r) => !sizes.includes(r),
);
const reps = positiveInt('reps', values.reps);
const streamFiles = positiveInt('files', values.files);
const days = positiveInt('days', values.days);
const seed = positiveInt('seed', values.seed);
const dirtyRate = Number(values.dirty);
const tools = values.tools.split(',').map((t) => t.trim());
for (const t of tools) {
  if (!['duckdb', 'local', 'local-1t', 's3'].includes(t)) {
    process.stderr.write(`bench: unknown tool "${t}" (expected duckdb, local, local-1t, s3)\n`);
    process.exit(2);
  }
}

buildTools();

const commands: Record<string, string | undefined> = {
  duckdb: `${NODE} ${join(EXAMPLES, 'dist/bench/duckdb-child.js')} --input {input} --out {out} --summary-json {summary} --threads ${values.threads}`,
  local:
    values['local-cmd'] ??
    (existsSync(CLI)
      ? `${NODE} ${CLI} local --input {input} --out {out} --summary-json {summary}`
      : undefined),
  'local-1t': existsSync(CLI)
    ? `${NODE} ${CLI} local --threads 0 --input {input} --out {out} --summary-json {summary}`
    : undefined,
  s3:
    values['s3-cmd'] ??
    (existsSync(CLI)
      ? `${NODE} ${CLI} run --bucket {bucket} --table {table} --s3-force-path-style --summary-json {summary}`
      : undefined),
};

function fill(template: string, vars: Record<string, string>): string[] {
  return template
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? `{${k}}`));
}

async function dataset(rows: number): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(
    values.cache,
    `streams-${rows}-files-${streamFiles}-days-${days}-dirty-${dirtyRate}-seed-${seed}`,
  );
  const manifestPath = join(dir, MANIFEST_FILE);
  if (existsSync(manifestPath)) {
    return { dir, manifest: JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest };
  }
  process.stdout.write(`generating ${rows} stream rows into ${dir}…\n`);
  await rm(dir, { recursive: true, force: true });
  const start = performance.now();
  const manifest = await generateDataset({
    dir,
    seed,
    streamRows: rows,
    streamFiles,
    days,
    dirtyRate,
  });
  process.stdout.write(`  done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  return { dir, manifest };
}

async function readNdjson(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface Emulators {
  readonly s3: string;
  readonly dynamodb: string;
  readonly child: ChildProcess;
  /** The emulators' process CPU time so far (user + system), microseconds. */
  cpuUs(): Promise<number>;
}

/**
 * Starts `emulators-child.ts` and reads its endpoints. One readline iterator
 * stays open over the child's stdout for the later `cpu` answers (a
 * `for await` that returns would close it).
 */
async function startEmulators(): Promise<Emulators> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(EXAMPLES, 'src/bench/emulators-child.ts')],
    { cwd: EXAMPLES, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  /** The next stdout line that is a JSON object, or an error once stdout ends. */
  async function nextObject(): Promise<Record<string, unknown>> {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error('the emulators child closed its stdout');
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
      } catch {
        // Not one of our lines (an emulator's log); skip it.
      }
    }
  }
  const endpoints = await nextObject();
  if (typeof endpoints.s3 !== 'string' || typeof endpoints.dynamodb !== 'string') {
    throw new Error(`emulators child printed no endpoints: ${JSON.stringify(endpoints)}`);
  }
  return {
    s3: endpoints.s3,
    dynamodb: endpoints.dynamodb,
    child,
    async cpuUs() {
      child.stdin!.write('cpu\n');
      for (;;) {
        const answer = await nextObject();
        if (typeof answer.cpuUs === 'number') return answer.cpuUs;
      }
    },
  };
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function scanTable(endpoint: string, table: string): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials }),
    { unmarshallOptions: { wrapNumbers: true } },
  );
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: table })) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  }
  client.destroy();
  return items;
}

/**
 * Row accounting, the KPI check where no DuckDB reference ran: the run read
 * every stream row of the dataset and reported success. Returns a problem or
 * `undefined`.
 */
async function rowAccountingProblem(
  summaryFile: string,
  manifest: Manifest,
): Promise<string | undefined> {
  let summary: { rowsRead?: unknown; ok?: unknown };
  try {
    summary = JSON.parse(await readFile(summaryFile, 'utf8')) as typeof summary;
  } catch (error) {
    return `could not read its summary JSON ${summaryFile}: ${String(error)}`;
  }
  const expected = manifest.streams.totals.rows;
  if (summary.rowsRead !== expected) {
    return `read ${String(summary.rowsRead)} stream rows, the dataset has ${expected}`;
  }
  if (summary.ok !== true) return `its summary says ok: ${String(summary.ok)}`;
  return undefined;
}

/** One repetition: the tool's measurement, plus the emulators' CPU for `s3`. */
interface Run extends Measurement {
  /** CPU of the emulators' process during the measured command (`s3` only). */
  readonly emulatorCpuMs: number | undefined;
}

interface ToolResult {
  readonly rows: number;
  readonly tool: string;
  /** Measured only for the memory-flatness section (a `--rss-rows` size). */
  readonly rssOnly: boolean;
  readonly runs: Run[];
  readonly medianWallMs: number;
  readonly rowsPerSecond: number;
  readonly medianPeakRssMb: number | undefined;
  /** Median CPU of the tool's processes (user + system), ms. */
  readonly medianCpuMs: number | undefined;
  /** Median CPU of the emulators during the measured command, ms (`s3` only). */
  readonly medianEmulatorCpuMs: number | undefined;
}

/** The median of the defined values, or `undefined` when there are none. */
function medianDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === 0 ? undefined : median(defined);
}

async function main(): Promise<number> {
  await mkdir(values.out, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'kpis-bench-'));
  const results: ToolResult[] = [];
  const failures: string[] = [];
  let rssFailures = 0;
  let emulators: Emulators | undefined;
  const active = tools.filter((t) => {
    if (commands[t] !== undefined) return true;
    process.stdout.write(
      `skipping ${t}: ${CLI} does not exist yet (give --${t}-cmd to benchmark another command)\n`,
    );
    return false;
  });
  // DuckDB runs first: its output is the reference.
  active.sort((a, b) => Number(b === 'duckdb') - Number(a === 'duckdb'));
  const plan = sizes.map((rows) => ({ rows, tools: active, rssOnly: false }));
  if (rssSizes.length > 0 && !active.includes('local')) {
    process.stdout.write(`skipping --rss-rows ${rssSizes.join(',')}: local does not run\n`);
  } else {
    const rssTools = values['rss-duckdb'] ? ['duckdb', 'local'] : ['local'];
    for (const rows of rssSizes) plan.push({ rows, tools: rssTools, rssOnly: true });
  }
  try {
    for (const { rows, tools: planTools, rssOnly } of plan) {
      const { dir, manifest } = await dataset(rows);
      const failuresBefore = failures.length;
      // Without DuckDB at this size, the KPIs can only be checked by row accounting.
      const accountingOnly = !planTools.includes('duckdb');
      let reference: Record<string, unknown>[] | undefined;
      for (const tool of planTools) {
        const runs: Run[] = [];
        for (let rep = 1; rep <= reps; rep++) {
          const tag = `${tool}-${rows}-${rep}`;
          const out = join(work, `${tag}.ndjson`);
          const summary = join(work, `${tag}.summary.json`);
          const vars: Record<string, string> = { input: dir, out, summary };
          let env: Record<string, string> = {};
          if (tool === 's3') {
            emulators ??= await startEmulators();
            const bucket = `bench-${rows}-${rep}-${Date.now() % 100_000}`;
            vars.bucket = bucket;
            vars.table = `kpis-${bucket}`;
            const s3 = new S3Client({
              endpoint: emulators.s3,
              region: 'us-east-1',
              forcePathStyle: true,
              credentials,
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            });
            await s3.send(new CreateBucketCommand({ Bucket: bucket }));
            await uploadDirectory({ client: s3, bucket, dir });
            s3.destroy();
            env = {
              AWS_ENDPOINT_URL_S3: emulators.s3,
              AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodb,
              AWS_REGION: 'us-east-1',
              AWS_ACCESS_KEY_ID: credentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
              AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
              AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
            };
          }
          const [command, ...args] = fill(commands[tool] as string, vars);
          // The emulators are idle here and after the command: their CPU
          // growth in between is the serving of this run.
          const emulatorCpuBefore = tool === 's3' ? await emulators!.cpuUs() : undefined;
          const m = await measure(command as string, args, env);
          const emulatorCpuMs =
            emulatorCpuBefore === undefined
              ? undefined
              : ((await emulators!.cpuUs()) - emulatorCpuBefore) / 1000;
          const rss =
            m.peakRssBytes === undefined ? '?' : `${Math.round(m.peakRssBytes / 2 ** 20)} MB`;
          const cpu = (ms: number | undefined) => (ms === undefined ? '?' : (ms / 1000).toFixed(2));
          const emulatorCpu =
            emulatorCpuMs === undefined ? '' : `, emulators CPU ${cpu(emulatorCpuMs)} s`;
          process.stdout.write(
            `${tool.padEnd(6)} ${String(rows).padStart(9)} rows  rep ${rep}: ${(m.wallMs / 1000).toFixed(2)} s, peak RSS ${rss}, CPU ${cpu(m.cpuMs)} s${emulatorCpu}\n`,
          );
          if (m.exitCode !== 0) {
            failures.push(`${tag}: exit code ${m.exitCode}\n${m.stderrTail}`);
            break;
          }
          runs.push({ ...m, emulatorCpuMs });
          if (rssOnly && accountingOnly) {
            const problem = await rowAccountingProblem(summary, manifest);
            if (problem !== undefined) failures.push(`${tag}: ${problem}`);
          }
          let items: Record<string, unknown>[];
          try {
            items =
              tool === 's3'
                ? await scanTable(emulators!.dynamodb, vars.table!)
                : await readNdjson(out);
          } catch (error) {
            failures.push(`${tag}: could not read its KPI items: ${String(error)}`);
            continue;
          }
          if (reference === undefined) {
            reference = items;
            if (items.length === 0) failures.push(`${tag}: produced no KPI items`);
          } else {
            const diff = firstDifference(reference, items, { expected: 'duckdb', actual: tool });
            if (diff !== undefined) failures.push(`${tag}: KPIs differ from DuckDB: ${diff}`);
          }
        }
        if (runs.length === 0) continue;
        const wall = median(runs.map((r) => r.wallMs));
        const rss = runs.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
        results.push({
          rows,
          tool,
          rssOnly,
          runs,
          medianWallMs: wall,
          rowsPerSecond: rows / (wall / 1000),
          medianPeakRssMb: rss.length === 0 ? undefined : median(rss) / 2 ** 20,
          medianCpuMs: medianDefined(runs.map((r) => r.cpuMs)),
          medianEmulatorCpuMs: medianDefined(runs.map((r) => r.emulatorCpuMs)),
        });
      }
      if (rssOnly) rssFailures += failures.length - failuresBefore;
    }
  } finally {
    emulators?.child.stdin?.end();
    emulators?.child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
  await report(results, failures, rssFailures);
  for (const f of failures) process.stderr.write(`FAIL ${f}\n`);
  return failures.length === 0 ? 0 : 1;
}

/** The sentence of the "Memory vs rows" section on how KPIs at `--rss-rows` sizes were checked. */
function rssKpiCheck(results: readonly ToolResult[], rssFailures: number): string {
  const rss = results.filter((r) => r.rssOnly);
  if (!rss.some((r) => r.tool === 'local')) return 'No `--rss-rows` size ran.';
  const outcome = rssFailures === 0 ? 'passed' : `FAILED (${rssFailures} failure(s), listed above)`;
  const duck = rss.filter((r) => r.tool === 'duckdb');
  if (duck.length === 0) {
    return `KPI check at the \`--rss-rows\` sizes is row accounting only (no DuckDB run; \`--rss-duckdb\` adds one): each run's \`rowsRead\` must equal the dataset's stream rows and \`ok\` be true — ${outcome}.`;
  }
  const figures = duck
    .map(
      (d) =>
        `${d.rows.toLocaleString('en-US')} rows ${(d.medianWallMs / 1000).toFixed(2)} s, ${d.medianPeakRssMb === undefined ? '?' : Math.round(d.medianPeakRssMb)} MB`,
    )
    .join('; ');
  return `KPI check at the \`--rss-rows\` sizes: \`local\`'s KPIs compared with DuckDB's (\`--rss-duckdb\`) — ${outcome}. DuckDB there: ${figures}.`;
}

async function report(
  all: readonly ToolResult[],
  failures: readonly string[],
  rssFailures: number,
): Promise<void> {
  // `--rss-rows` sizes have their own section; the table and chart compare tools.
  const results = all.filter((r) => !r.rssOnly);
  const flatness = rssFlatness(
    all
      .filter((r) => r.tool === 'local')
      .map((r) => ({ rows: r.rows, peakRssMb: r.medianPeakRssMb, wallMs: r.medianWallMs })),
    sizes,
  );
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;
  const duckdbVersion = (
    JSON.parse(
      await readFile(join(EXAMPLES, 'node_modules/@duckdb/node-api/package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const lines = [
    `# Benchmark ${date}`,
    '',
    `Machine: ${machine}. DuckDB: @duckdb/node-api ${duckdbVersion}, ${values.threads} threads.`,
    `Dataset: ${streamFiles} stream files over ${days} days, ${Number(dirtyRate) * 100}% dirty rows, ~114k songs, 50k users (seed ${seed}).`,
    `Each tool ran as a separate process ${reps} time(s); medians shown. Peak RSS = ru_maxrss at exit.`,
    '',
    '| stream rows | tool | wall (s) | rows/s | peak RSS (MB) | wall vs DuckDB | RSS vs DuckDB |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const duck = results.find((d) => d.rows === r.rows && d.tool === 'duckdb');
    const wallRatio = duck ? (r.medianWallMs / duck.medianWallMs).toFixed(2) : '–';
    const rssRatio =
      duck?.medianPeakRssMb && r.medianPeakRssMb
        ? (r.medianPeakRssMb / duck.medianPeakRssMb).toFixed(2)
        : '–';
    lines.push(
      `| ${r.rows.toLocaleString('en-US')} | ${r.tool} | ${(r.medianWallMs / 1000).toFixed(2)} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${r.medianPeakRssMb === undefined ? '?' : Math.round(r.medianPeakRssMb)} | ${wallRatio} | ${rssRatio} |`,
    );
  }
  const firstTool = results[0]?.tool;
  const agreement =
    firstTool === 'duckdb'
      ? 'KPIs of all tools equal DuckDB’s.'
      : `No DuckDB run: KPIs of the table's tools are compared with ${firstTool ?? 'nothing'}'s only.`;
  lines.push('', failures.length === 0 ? agreement : 'FAILURES:', '');
  for (const f of failures) lines.push(`- ${f.split('\n')[0]}`);
  // The S3 → DynamoDB path against the local path, as a wall-time ratio.
  const s3VsLocal = results
    .filter((r) => r.tool === 's3')
    .flatMap((r) => {
      const local = results.find((l) => l.rows === r.rows && l.tool === 'local');
      return local === undefined
        ? []
        : [
            `${(r.medianWallMs / local.medianWallMs).toFixed(2)}× at ${r.rows.toLocaleString('en-US')} rows`,
          ];
    });
  if (s3VsLocal.length > 0) {
    lines.push(
      `Wall time of \`s3\` (emulators included) vs \`local\`: ${s3VsLocal.join(', ')}.`,
      '',
    );
  }
  const cpuSplit = formatCpuSplit(
    results
      .filter((r) => r.tool === 's3')
      .map((r) => ({
        rows: r.rows,
        wallMs: r.medianWallMs,
        toolCpuMs: r.medianCpuMs,
        emulatorCpuMs: r.medianEmulatorCpuMs,
      })),
    cpu.length,
  );
  // The section ends with a blank line; without it the chart needs one.
  lines.push(...cpuSplit, ...(cpuSplit.length === 0 ? [''] : []), `![chart](${date}.svg)`, '');
  lines.push(...formatRssFlatness(flatness, rssKpiCheck(all, rssFailures)));
  await writeFile(join(values.out, `${date}.md`), lines.join('\n'));
  await writeFile(
    join(values.out, `${date}.json`),
    `${JSON.stringify({ date, machine, duckdbVersion, freeMemBytes: freemem(), options: values, results: all, rssFlatness: flatness ?? null, failures }, null, 2)}\n`,
  );
  await writeFile(
    join(values.out, `${date}.svg`),
    renderChart(
      results.map((r) => ({
        rows: r.rows,
        tool: r.tool,
        rowsPerSecond: r.rowsPerSecond,
        peakRssMb: r.medianPeakRssMb,
      })),
      machine,
    ),
  );
  process.stdout.write(`${lines.join('\n')}\nwrote ${join(values.out, `${date}.md`)}\n`);
}

process.exitCode = await main();
