/**
 * `pnpm bench [--scenario tools|arrivals] [--rows 1000000,5000000] [--reps 3]
 *   [--tools duckdb-glob,duckdb,local,local-1t,s3] [--rss-rows 50000000] [--rss-duckdb]`
 *
 * Builds the packages and examples (`tsc -b`), generates (and caches)
 * datasets, runs each tool from the built JavaScript as a separate process
 * `--reps` times — the tools of a size in turn, repetition by repetition, so
 * a noisy machine slows them alike — and writes medians of wall time, rows/s
 * and peak RSS to `examples/bench/results/<date>.{md,json,svg}`. DuckDB is
 * also the oracle: any tool whose KPIs differ from DuckDB's fails the run
 * (exit code 1).
 *
 * `--scenario arrivals` runs the drop-by-drop scenario instead (arrivals.ts).
 *
 * Tools:
 * - `duckdb-glob`: DuckDB's best case, `dist/bench/duckdb-child.js --mode
 *   one-statement`: one SQL statement over all stream files (`--threads`,
 *   default 2), the same validation, rejected rows counted, not written.
 *   Its KPIs are the reference when it runs.
 * - `duckdb`: the same SQL file by file, each loaded into a table first.
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
 * Command templates may use {input} {out} {summary} {bucket} {table} {refcache}.
 * `local`, `local-1t` and `s3` keep their lookup tables in `{refcache}` (`--reference-cache`,
 * one folder per bench run): the first run at a size builds them, the others
 * read them back; the phases table says how many runs the cache served.
 * `local` and `s3` are skipped with a message when the build left no
 * `examples/dist/cli.js` and no command is given.
 *
 * `local` runs report their phases (reference data, stream files, finalize)
 * in their summary JSON; the report tables them ("Where `kpis local`'s time
 * goes"), with the aggregation rate over the stream phase alone.
 *
 * Memory flatness (peak RSS at 50M rows against that at 5M, same days
 * and users): `--rss-rows` (default `50000000`, `''` disables) lists extra
 * sizes, generated with the same files/days/dirty/seed, at which only `local`
 * runs (`--reps` times; needs `local` in `--tools`), and `duckdb-glob` too with
 * `--rss-duckdb`. Without DuckDB there is no reference at those sizes, so
 * their KPI check is row accounting only: the summary's `rowsRead` must equal
 * the manifest's stream rows and `ok` be true. The report's "Memory vs rows"
 * section (`rssFlatness` in the JSON) gives `local`'s median peak RSS per size
 * as a ratio to its 5M-row peak (else the largest `--rows` size's); these
 * sizes stay out of the main table and the chart.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset, MANIFEST_FILE, type Manifest } from '../generate/index.js';
import { firstDifference } from './compare.js';
import { measure, median, medianDefined } from './measure.js';
import {
  type BenchOptions,
  benchOptions,
  buildTools,
  CLI,
  DUCKDB_TOOLS,
  EXAMPLES,
  fill,
} from './options.js';
import { type LocalPhases, type Run, report, type ToolResult } from './report.js';
import { type Emulators, prepareS3Run, scanTable, startEmulators } from './s3-tool.js';

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

// No AWS SDK Node 20 warning (as in the CLI); built first: tools need the built CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
buildTools();
const options = benchOptions(process.argv.slice(2));

async function dataset(
  o: BenchOptions,
  rows: number,
): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(
    o.values.cache,
    `streams-${rows}-files-${o.streamFiles}-days-${o.days}-dirty-${o.dirtyRate}-seed-${o.seed}`,
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
    seed: o.seed,
    streamRows: rows,
    streamFiles: o.streamFiles,
    days: o.days,
    dirtyRate: o.dirtyRate,
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

/** A run's summary JSON, or a problem reading it. */
async function readSummary(file: string): Promise<Record<string, unknown> | string> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return `could not read its summary JSON ${file}: ${String(error)}`;
  }
}

/** `kpis local`'s phases from its summary, when it reported them. */
function phasesOf(summary: Record<string, unknown> | string): LocalPhases | undefined {
  if (typeof summary === 'string') return undefined;
  const p = summary.phases as Partial<LocalPhases> | undefined;
  if (typeof p?.referenceMs !== 'number' || typeof p.streamsMs !== 'number') return undefined;
  return {
    referenceMs: p.referenceMs,
    streamsMs: p.streamsMs,
    finalizeMs: p.finalizeMs ?? 0,
    startupMs: p.startupMs ?? 0,
    threadsReadyMs: p.threadsReadyMs ?? 0,
    referenceCacheHit: p.referenceCacheHit === true,
  };
}

/**
 * Row accounting, the KPI check where no DuckDB reference ran: the run read
 * every stream row of the dataset and reported success. Returns a problem or
 * `undefined`.
 */
function rowAccountingProblem(
  summary: Record<string, unknown> | string,
  manifest: Manifest,
): string | undefined {
  if (typeof summary === 'string') return summary;
  const expected = manifest.streams.totals.rows;
  if (summary.rowsRead !== expected) {
    return `read ${String(summary.rowsRead)} stream rows, the dataset has ${expected}`;
  }
  if (summary.ok !== true) return `its summary says ok: ${String(summary.ok)}`;
  return undefined;
}

const cpuText = (ms: number | undefined) => (ms === undefined ? '?' : (ms / 1000).toFixed(2));

async function main(o: BenchOptions): Promise<number> {
  await mkdir(o.values.out, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'kpis-bench-'));
  const results: ToolResult[] = [];
  const failures: string[] = [];
  let rssFailures = 0;
  let emulators: Emulators | undefined;
  const active = o.tools.filter((t) => {
    if (o.commands[t] !== undefined) return true;
    process.stdout.write(
      `skipping ${t}: ${CLI} does not exist yet (give --${t}-cmd to benchmark another command)\n`,
    );
    return false;
  });
  const plan = o.sizes.map((rows) => ({ rows, tools: active, rssOnly: false }));
  if (o.rssSizes.length > 0 && !active.includes('local')) {
    process.stdout.write(`skipping --rss-rows ${o.rssSizes.join(',')}: local does not run\n`);
  } else {
    const rssTools = o.values['rss-duckdb'] ? ['duckdb-glob', 'local'] : ['local'];
    for (const rows of o.rssSizes) plan.push({ rows, tools: rssTools, rssOnly: true });
  }
  try {
    for (const { rows, tools: planTools, rssOnly } of plan) {
      const { dir, manifest } = await dataset(o, rows);
      const failuresBefore = failures.length;
      // Without DuckDB at this size, the KPIs can only be checked by row accounting.
      const accountingOnly = !planTools.some((t) => DUCKDB_TOOLS.includes(t));
      let reference: { tool: string; items: Record<string, unknown>[] } | undefined;
      const runs = new Map<string, Run[]>(planTools.map((t) => [t, []]));
      const failed = new Set<string>();
      for (let rep = 1; rep <= o.reps; rep++) {
        for (const tool of planTools) {
          if (failed.has(tool)) continue;
          const tag = `${tool}-${rows}-${rep}`;
          const out = join(work, `${tag}.ndjson`);
          const summary = join(work, `${tag}.summary.json`);
          let vars: Record<string, string> = {
            input: dir,
            out,
            summary,
            refcache: join(work, 'reference-cache'),
          };
          let env: Record<string, string> = {};
          if (tool === 's3') {
            emulators ??= await startEmulators();
            const s3 = await prepareS3Run(emulators, dir, `${rows}-${rep}`);
            vars = { ...vars, ...s3.vars };
            env = s3.env;
          }
          const [command, ...args] = fill(o.commands[tool] as string, vars);
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
          const emulatorCpu =
            emulatorCpuMs === undefined ? '' : `, emulators CPU ${cpuText(emulatorCpuMs)} s`;
          process.stdout.write(
            `${tool.padEnd(11)} ${String(rows).padStart(9)} rows  rep ${rep}: ${(m.wallMs / 1000).toFixed(2)} s, peak RSS ${rss}, CPU ${cpuText(m.cpuMs)} s${emulatorCpu}\n`,
          );
          if (m.exitCode !== 0) {
            failures.push(`${tag}: exit code ${m.exitCode}\n${m.stderrTail}`);
            failed.add(tool);
            continue;
          }
          const summaryJson =
            tool.startsWith('local') || rssOnly ? await readSummary(summary) : 'not read';
          runs.get(tool)!.push({ ...m, emulatorCpuMs, phases: phasesOf(summaryJson) });
          if (rssOnly && accountingOnly) {
            const problem = rowAccountingProblem(summaryJson, manifest);
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
            reference = { tool, items };
            if (items.length === 0) failures.push(`${tag}: produced no KPI items`);
          } else {
            const diff = firstDifference(reference.items, items, {
              expected: reference.tool,
              actual: tool,
            });
            if (diff !== undefined)
              failures.push(`${tag}: KPIs differ from ${reference.tool}: ${diff}`);
          }
        }
      }
      for (const [tool, toolRuns] of runs) {
        if (toolRuns.length === 0) continue;
        const wall = median(toolRuns.map((r) => r.wallMs));
        const rss = toolRuns.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
        results.push({
          rows,
          tool,
          rssOnly,
          runs: toolRuns,
          medianWallMs: wall,
          rowsPerSecond: rows / (wall / 1000),
          medianPeakRssMb: rss.length === 0 ? undefined : median(rss) / 2 ** 20,
          medianCpuMs: medianDefined(toolRuns.map((r) => r.cpuMs)),
          medianEmulatorCpuMs: medianDefined(toolRuns.map((r) => r.emulatorCpuMs)),
        });
      }
      if (rssOnly) rssFailures += failures.length - failuresBefore;
    }
  } finally {
    emulators?.child.stdin?.end();
    emulators?.child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
  await report(o, results, failures, rssFailures, median);
  for (const f of failures) process.stderr.write(`FAIL ${f}\n`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main(options);
