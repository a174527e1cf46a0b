/** Close step of a run: the summary (SPEC section 8) from the outcomes and commits. */
import type { RunMetrics } from '@streamkpi/core';
import type { CommitDateResult } from '../commit-date.js';
import type { RunKpisSummary } from '../run-kpis.js';
import type { Connection } from './connect.js';
import { failuresOf, type LatencySummary, type ObjectOutcome } from './outcomes.js';

/** Nearest-rank percentile of ascending `sorted` (`p` in 0–100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50 / p95 / max of the landing → committed latencies of the run's objects. */
export function latencyOf(outcomes: readonly ObjectOutcome[]): LatencySummary {
  const ms = outcomes
    .map((o) => o.landingToCommittedMs)
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
  return {
    count: ms.length,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    maxMs: ms.length === 0 ? 0 : (ms[ms.length - 1] as number),
  };
}

/** Builds the run's summary. */
export function summarize(input: {
  readonly connection: Connection;
  readonly metrics: RunMetrics;
  readonly outcomes: readonly ObjectOutcome[];
  readonly dates: readonly CommitDateResult[];
  /** Dates whose last commit failed, with the error. */
  readonly failedDates: ReadonlyMap<string, unknown>;
  readonly started: number;
}): RunKpisSummary {
  const { connection: c, metrics, outcomes, dates } = input;
  const count = (s: ObjectOutcome['status']) => outcomes.filter((x) => x.status === s).length;
  const streams = metrics.summary();
  const failures = failuresOf(outcomes, input.failedDates);
  return {
    streams,
    reference: { ...c.reference.summary, reused: c.reference.reused },
    tables: { songs: c.songs.stats, users: c.users?.stats },
    objects: {
      processed: count('processed'),
      skipped: count('skipped'),
      rejected: count('rejected'),
      failed: count('failed'),
      claimed: count('claimed'),
      archived: outcomes.filter((x) => x.archived).length,
    },
    outcomes,
    dates: dates.map(({ date, version, itemsWritten, itemsStale, partialsMerged }) => ({
      date,
      version,
      itemsWritten,
      itemsStale,
      partialsMerged,
    })),
    itemsWritten: dates.reduce((n, d) => n + d.itemsWritten, 0),
    itemsStale: dates.reduce((n, d) => n + d.itemsStale, 0),
    landingToCommitted: latencyOf(outcomes),
    durationMs: performance.now() - input.started,
    peakRssBytes: Math.max(
      streams.peakRssBytes,
      c.reference.summary.songs.peakRssBytes,
      process.memoryUsage.rss(),
    ),
    failures,
    // A quarantined object is handled (moved to `rejected/`), not a failure.
    ok: failures.length === 0,
  };
}
