import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One measured run of a child process. */
export interface Measurement {
  readonly wallMs: number;
  /**
   * Peak RSS in bytes: the largest ru_maxrss reported per process, summed over
   * the processes of the run (the tool and any node children it spawned), so
   * an upper bound of the tree's peak; `undefined` if nothing was reported.
   */
  readonly peakRssBytes: number | undefined;
  /**
   * CPU time (user + system) in milliseconds, summed over the processes of
   * the run, worker threads included; `undefined` if no process reported it.
   */
  readonly cpuMs: number | undefined;
  readonly exitCode: number | null;
  /** Last lines of stderr, for error messages. */
  readonly stderrTail: string;
}

const PROBE = pathToFileURL(join(import.meta.dirname, 'rss-probe.mjs')).href;
let counter = 0;

/** The figures of a probe file, see {@link parseProbeReport}. */
export interface ProbeReport {
  /** Sum over pids of each pid's largest ru_maxrss, bytes. */
  readonly peakRssBytes: number | undefined;
  /** Sum over pids of each pid's largest CPU time, milliseconds. */
  readonly cpuMs: number | undefined;
}

/**
 * Parses the lines the probe appends, `<pid> <maxRSS kB> [<CPU µs>]` (older
 * probes wrote no CPU field). A figure is `undefined` when no line has it.
 */
export function parseProbeReport(text: string): ProbeReport {
  const rss = new Map<string, number>();
  const cpu = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [pid, kb, us] = line.trim().split(/\s+/);
    if (!pid) continue;
    if (kb !== undefined && Number.isFinite(Number(kb))) {
      rss.set(pid, Math.max(rss.get(pid) ?? 0, Number(kb)));
    }
    if (us !== undefined && Number.isFinite(Number(us))) {
      cpu.set(pid, Math.max(cpu.get(pid) ?? 0, Number(us)));
    }
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    peakRssBytes: rss.size === 0 ? undefined : sum(rss) * 1024,
    cpuMs: cpu.size === 0 ? undefined : sum(cpu) / 1000,
  };
}

/**
 * Runs `command` with `args` as a separate process, timing it from spawn to
 * exit and collecting its peak RSS and CPU time through the preloaded probe.
 */
export async function measure(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Measurement> {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${++counter}.txt`);
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${PROBE}`].filter(Boolean).join(' ');
  const start = performance.now();
  const child = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env, NODE_OPTIONS: nodeOptions, BENCH_RSS_FILE: rssFile },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const wallMs = performance.now() - start;
  let probe: ProbeReport;
  try {
    probe = parseProbeReport(await readFile(rssFile, 'utf8'));
  } catch {
    probe = { peakRssBytes: undefined, cpuMs: undefined };
  }
  await rm(rssFile, { force: true });
  return { wallMs, ...probe, exitCode, stderrTail: stderr.split('\n').slice(-15).join('\n') };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The median of the defined values, or `undefined` when there are none. */
export function medianDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === 0 ? undefined : median(defined);
}
