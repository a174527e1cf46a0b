/**
 * The CPU split of the benchmark's `s3` runs:
 * how much CPU `kpis run` spent versus the s3rver + dynalite emulators it
 * talked to. Pure functions, so the report's arithmetic and wording are
 * unit-tested without a run.
 */

/** The medians of one `s3` result (one dataset size). */
export interface CpuSplitPoint {
  readonly rows: number;
  readonly wallMs: number;
  /** CPU of `kpis run` (user + system, worker threads included); `undefined` if unreported. */
  readonly toolCpuMs: number | undefined;
  /** CPU of the emulators' process during the measured command; `undefined` if unknown. */
  readonly emulatorCpuMs: number | undefined;
}

/** One size of the CPU split, figures in seconds rounded to 0.01. */
export interface CpuSplitRow {
  readonly rows: number;
  readonly wallS: number;
  readonly toolCpuS: number;
  readonly emulatorCpuS: number;
  /** Emulators' CPU / (tool's + emulators'), percent rounded to 0.1. */
  readonly emulatorSharePct: number;
}

const round = (v: number, places: number) => Number(v.toFixed(places));

/**
 * One row per size that has both CPU figures, ascending by rows; sizes
 * missing either figure are left out (the report says so).
 */
export function cpuSplit(points: readonly CpuSplitPoint[]): CpuSplitRow[] {
  return points
    .filter(
      (p): p is CpuSplitPoint & { toolCpuMs: number; emulatorCpuMs: number } =>
        p.toolCpuMs !== undefined && p.emulatorCpuMs !== undefined,
    )
    .sort((a, b) => a.rows - b.rows)
    .map((p) => {
      const total = p.toolCpuMs + p.emulatorCpuMs;
      return {
        rows: p.rows,
        wallS: round(p.wallMs / 1000, 2),
        toolCpuS: round(p.toolCpuMs / 1000, 2),
        emulatorCpuS: round(p.emulatorCpuMs / 1000, 2),
        emulatorSharePct: total === 0 ? 0 : round((100 * p.emulatorCpuMs) / total, 1),
      };
    });
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * The report's "CPU split (s3 runs)" section as markdown lines; no lines when
 * no `s3` result ran (`points` empty). `cores` is the machine's core count.
 */
export function formatCpuSplit(points: readonly CpuSplitPoint[], cores: number): string[] {
  if (points.length === 0) return [];
  const lines = ['## CPU split (s3 runs)', ''];
  const rows = cpuSplit(points);
  if (rows.length === 0) {
    lines.push('No `s3` run reported both CPU figures, so there is no split to show.', '');
    return lines;
  }
  lines.push(
    'CPU = user + system time, medians over the repetitions: `kpis run` as reported at its exit (worker threads included); the emulators (s3rver + dynalite, one separate process) as the growth of their CPU time across the measured command. Share = emulators / (`kpis run` + emulators).',
    '',
    '| stream rows | wall (s) | CPU `kpis run` (s) | CPU emulators (s) | emulator share |',
    '|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    lines.push(
      `| ${n(r.rows)} | ${r.wallS.toFixed(2)} | ${r.toolCpuS.toFixed(2)} | ${r.emulatorCpuS.toFixed(2)} | ${r.emulatorSharePct.toFixed(1)}% |`,
    );
  }
  const missing = points.length - rows.length;
  lines.push(
    '',
    `On ${cores} core(s) the emulators' CPU competes with the tool's worker threads, so the s3 wall time includes emulator work that real S3 and DynamoDB would do on other machines.`,
  );
  if (missing > 0) lines.push(`${missing} size(s) without both CPU figures are not shown.`);
  lines.push('');
  return lines;
}
