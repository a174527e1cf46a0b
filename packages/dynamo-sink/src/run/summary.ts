/**
 * What a run reports — per object, as it goes (progress) and at the close
 * step: the summary (SPEC section 8) from the outcomes and commits.
 */
import type { RunMetrics, RunSummary, SongsTableStats, UsersTableStats } from '@streamkpi/core';
import type { CommitDateResult } from '../commit-date.js';
import type { Connection } from './connect.js';
import {
  failuresOf,
  type LatencySummary,
  type ObjectOutcome,
  type RunKpisFailure,
} from './outcomes.js';

/** A run's stream totals so far (progress). */
export interface StreamTotals {
  readonly rowsRead: number;
  readonly bytesRead: number;
}

/** The lookup tables of a run, once loaded or reused. */
export interface ReferenceLoaded {
  readonly songs: SongsTableStats;
  readonly users: UsersTableStats | undefined;
  /** Reference rows read now (songs and users; 0 for a table reused from the cache). */
  readonly rowsRead: number;
  readonly reused: { readonly songs: boolean; readonly users: boolean };
  readonly durationMs: number;
}

/** The summary of a run (SPEC section 8). */
export interface RunKpisSummary {
  /** Stream rows: `rowsRead === rowsAggregated + rowsRejected`. */
  readonly streams: RunSummary;
  /** Reference data rows read and rejected (when the table was built), and which tables were reused. */
  readonly reference: {
    readonly songs: RunSummary;
    readonly users: RunSummary;
    readonly reused: { readonly songs: boolean; readonly users: boolean };
    /** The tables were read back from `referenceCacheDir`. */
    readonly cacheHit: boolean;
  };
  /** Sizes of the lookup tables built from the reference data. */
  readonly tables: { readonly songs: SongsTableStats; readonly users: UsersTableStats | undefined };
  readonly objects: {
    readonly processed: number;
    readonly skipped: number;
    readonly rejected: number;
    readonly failed: number;
    /** Left to another worker holding a live claim. */
    readonly claimed: number;
    readonly archived: number;
  };
  readonly outcomes: readonly ObjectOutcome[];
  /** One per committed date, ascending (items summed over the run's commits of it). */
  readonly dates: readonly CommitDateResult[];
  readonly itemsWritten: number;
  readonly itemsStale: number;
  /** Landing → committed latency of the objects read by this run. */
  readonly landingToCommitted: LatencySummary;
  readonly durationMs: number;
  readonly peakRssBytes: number;
  /** Every failure (object, date, archive) with the object's key; empty exactly when `ok`. */
  readonly failures: readonly RunKpisFailure[];
  /** False when any object or date failed (left for a retry); quarantined objects do not count. */
  readonly ok: boolean;
}

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
    reference: {
      ...c.reference.summary,
      reused: c.reference.reused,
      cacheHit: c.reference.cacheHit,
    },
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
