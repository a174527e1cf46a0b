/**
 * The report of the tools scenario: the Markdown table (each tool against
 * DuckDB's best case and its per-file variant), the S3-vs-local ratio, the
 * CPU split, where `kpis local`'s time goes, memory vs rows, and the JSON
 * and SVG next to it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import { formatCpuSplit } from './cpu-split.js';
import type { Measurement } from './measure.js';
import type { BenchOptions } from './options.js';
import { EXAMPLES } from './options.js';
import { formatRssFlatness, rssFlatness } from './rss-flatness.js';

/** Phases of a `kpis local` run, from its summary JSON (ms). */
export interface LocalPhases {
  /** Node start-up and module load, before the run starts. */
  readonly startupMs: number;
  /** Until the last pool thread had loaded its module (overlaps `referenceMs`). */
  readonly threadsReadyMs: number;
  readonly referenceMs: number;
  readonly streamsMs: number;
  readonly finalizeMs: number;
  readonly referenceCacheHit: boolean;
}

/** One repetition: the tool's measurement, plus the emulators' CPU for `s3`. */
export interface Run extends Measurement {
  /** CPU of the emulators' process during the measured command (`s3` only). */
  readonly emulatorCpuMs: number | undefined;
  /** `local` and `local-1t`: the phases the run reported. */
  readonly phases: LocalPhases | undefined;
}

/** The medians of one tool at one size. */
export interface ToolResult {
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

const TOOL_NAMES: Record<string, string> = {
  'duckdb-glob': 'DuckDB best case: one statement over all files',
  duckdb: 'DuckDB per file (load, then validate and count)',
  local: '`kpis local` (2 worker threads)',
  'local-1t': '`kpis local --threads 0` (one thread)',
  s3: '`kpis run`, s3rver → dynalite',
};

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? '–' : (a / b).toFixed(2);
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Median of each phase over the runs that reported phases. */
function medianPhases(runs: readonly Run[], median: (v: number[]) => number) {
  const with_ = runs.flatMap((r) => (r.phases === undefined ? [] : [r.phases]));
  if (with_.length === 0) return undefined;
  return {
    startupMs: median(with_.map((p) => p.startupMs)),
    threadsReadyMs: median(with_.map((p) => p.threadsReadyMs)),
    referenceMs: median(with_.map((p) => p.referenceMs)),
    streamsMs: median(with_.map((p) => p.streamsMs)),
    finalizeMs: median(with_.map((p) => p.finalizeMs)),
    cacheHits: `${with_.filter((p) => p.referenceCacheHit).length} of ${with_.length}`,
  };
}

/** The "where `kpis local`'s time goes" lines: phases and the aggregation rate without them. */
function phaseLines(results: readonly ToolResult[], median: (v: number[]) => number): string[] {
  const lines: string[] = [];
  for (const r of results.filter((t) => t.tool === 'local' || t.tool === 'local-1t')) {
    const p = medianPhases(r.runs, median);
    if (p === undefined) continue;
    const other = r.medianWallMs - p.startupMs - p.referenceMs - p.streamsMs - p.finalizeMs;
    lines.push(
      `| ${int(r.rows)} | ${r.tool} | ${seconds(r.medianWallMs)} | ${seconds(p.startupMs)} | ${seconds(p.threadsReadyMs)} | ${seconds(p.referenceMs)} | ${p.cacheHits} | ${seconds(p.streamsMs)} | ${int(r.rows / (p.streamsMs / 1000))} | ${seconds(p.finalizeMs)} | ${seconds(other)} |`,
    );
  }
  if (lines.length === 0) return [];
  return [
    "## Where `kpis local`'s time goes",
    '',
    'Medians of the phases the run reports in its summary (`phases`): start-up (Node start-up and module load, before the run), threads ready (until the last worker thread had loaded its module; the threads start with the run, so this overlaps the reference data), reference data (songs and users read into lookup tables, or read back from `--reference-cache`: "tables from cache" counts the runs it served), stream files (parse → validate → join → aggregate, the merge of the threads\' states included), finalize (KPI items); "process" is the rest of the wall time (writing the output, exit).',
    '',
    '| stream rows | tool | wall (s) | start-up (s) | threads ready (s) | reference (s) | tables from cache | streams (s) | aggregation rows/s | finalize (s) | process (s) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...lines,
    '',
  ];
}

/** The sentence of the "Memory vs rows" section on how KPIs at `--rss-rows` sizes were checked. */
function rssKpiCheck(results: readonly ToolResult[], rssFailures: number): string {
  const rss = results.filter((r) => r.rssOnly);
  if (!rss.some((r) => r.tool === 'local')) return 'No `--rss-rows` size ran.';
  const outcome = rssFailures === 0 ? 'passed' : `FAILED (${rssFailures} failure(s), listed above)`;
  const duck = rss.filter((r) => r.tool === 'duckdb-glob' || r.tool === 'duckdb');
  if (duck.length === 0) {
    return `KPI check at the \`--rss-rows\` sizes is row accounting only (no DuckDB run; \`--rss-duckdb\` adds one): each run's \`rowsRead\` must equal the dataset's stream rows and \`ok\` be true — ${outcome}.`;
  }
  const figures = duck
    .map(
      (d) =>
        `${d.tool} at ${int(d.rows)} rows ${seconds(d.medianWallMs)} s, ${d.medianPeakRssMb === undefined ? '?' : Math.round(d.medianPeakRssMb)} MB`,
    )
    .join('; ');
  return `KPI check at the \`--rss-rows\` sizes: \`local\`'s KPIs compared with DuckDB's (\`--rss-duckdb\`) — ${outcome}. DuckDB there: ${figures}.`;
}

/** Writes `<date>.{md,json,svg}` under `--out` and prints the Markdown. */
export async function report(
  options: BenchOptions,
  all: readonly ToolResult[],
  failures: readonly string[],
  rssFailures: number,
  median: (v: number[]) => number,
): Promise<void> {
  const { values, sizes } = options;
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
    `Dataset: ${options.streamFiles} stream files over ${options.days} days, ${options.dirtyRate * 100}% dirty rows, ~114k songs, 50k users (seed ${options.seed}).`,
    `Each tool ran as a separate process ${options.reps} time(s), the tools of a size in turn (repetition 1 of every tool, then 2, …); medians shown. Peak RSS = ru_maxrss at exit, every thread and child process counted.`,
    '',
    '| stream rows | tool | wall (s) | rows/s | peak RSS (MB) | wall vs DuckDB best case | RSS vs DuckDB best case | wall vs DuckDB per file |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const best = results.find((d) => d.rows === r.rows && d.tool === 'duckdb-glob');
    const perFile = results.find((d) => d.rows === r.rows && d.tool === 'duckdb');
    lines.push(
      `| ${int(r.rows)} | ${TOOL_NAMES[r.tool] ?? r.tool} | ${seconds(r.medianWallMs)} | ${int(r.rowsPerSecond)} | ${r.medianPeakRssMb === undefined ? '?' : Math.round(r.medianPeakRssMb)} | ${ratio(r.medianWallMs, best?.medianWallMs)} | ${ratio(r.medianPeakRssMb, best?.medianPeakRssMb)} | ${ratio(r.medianWallMs, perFile?.medianWallMs)} |`,
    );
  }
  const firstTool = results[0]?.tool;
  const agreement =
    firstTool === 'duckdb-glob' || firstTool === 'duckdb'
      ? `KPIs of all tools equal DuckDB's (${firstTool}).`
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
        : [`${ratio(r.medianWallMs, local.medianWallMs)}× at ${int(r.rows)} rows`];
    });
  if (s3VsLocal.length > 0) {
    lines.push(
      `Wall time of \`s3\` (emulators included) vs \`local\`: ${s3VsLocal.join(', ')}.`,
      '',
    );
  }
  lines.push(...phaseLines(results, median));
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
