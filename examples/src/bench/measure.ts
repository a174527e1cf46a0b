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
  readonly exitCode: number | null;
  /** Last lines of stderr, for error messages. */
  readonly stderrTail: string;
}

const PROBE = pathToFileURL(join(import.meta.dirname, 'rss-probe.mjs')).href;
let counter = 0;

/**
 * Runs `command` with `args` as a separate process, timing it from spawn to
 * exit and collecting its peak RSS through the preloaded probe.
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
  let peakRssBytes: number | undefined;
  try {
    const perPid = new Map<string, number>();
    for (const line of (await readFile(rssFile, 'utf8')).split('\n')) {
      const [pid, kb] = line.split(' ');
      if (pid && kb) perPid.set(pid, Math.max(perPid.get(pid) ?? 0, Number(kb)));
    }
    if (perPid.size > 0) peakRssBytes = [...perPid.values()].reduce((a, b) => a + b, 0) * 1024;
  } catch {
    peakRssBytes = undefined;
  }
  await rm(rssFile, { force: true });
  return { wallMs, peakRssBytes, exitCode, stderrTail: stderr.split('\n').slice(-15).join('\n') };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
