/**
 * The record of one run, as the run history stores it (format 1), and how
 * it is built from a `runKpis` summary or from a run that failed before any
 * object.
 */
import { randomUUID } from 'node:crypto';
import type { LatencySummary, RunKpisSummary } from './run-kpis.js';

/** Keys listed per outcome in a record; the counts are always complete. */
export const RUN_RECORD_MAX_KEYS = 100;

/** Stream objects of one outcome: how many, and their keys (at most {@link RUN_RECORD_MAX_KEYS}). */
export interface RunRecordObjects {
  readonly count: number;
  readonly keys: readonly string[];
}

/** Where a run failed: reading and storing an object, committing a date, archiving, quarantining, or before any object (setup). */
export type RunFailureStep = 'process' | 'commit' | 'archive' | 'quarantine' | 'setup';

/** One failure left for a retry. */
export interface RunFailure {
  readonly step: RunFailureStep;
  /** Stream object key, when an object failed. */
  readonly key?: string;
  /** `YYYY-MM-DD`, when a date commit failed. */
  readonly date?: string;
  /** Stable error code (`ECONNRESET`, `BAD_GZIP`, …). */
  readonly code: string;
  readonly message: string;
}

/** The record of one run, as stored (version 1 of the format). */
export interface RunRecord {
  readonly format: 1;
  readonly runId: string;
  /** What ran it: `run`, `watch`, `lambda`, … */
  readonly command: string;
  /** ISO-8601 times. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** False when something failed and was left for a retry (quarantined files do not count). */
  readonly ok: boolean;
  readonly objects: {
    /** Read and committed by this run. */
    readonly committed: RunRecordObjects;
    /** Committed earlier (re-committed and archived now). */
    readonly skipped: RunRecordObjects;
    /** Moved to `rejected/` with a report: can never be processed. */
    readonly quarantined: RunRecordObjects;
    /** Left in place for a retry. */
    readonly failed: RunRecordObjects;
    readonly archived: number;
  };
  /** Stream rows: `read === aggregated + rejected`. */
  readonly rows: {
    readonly read: number;
    readonly aggregated: number;
    readonly rejected: number;
    readonly rejectedByReason: Readonly<Record<string, number>>;
  };
  /** Dates committed, with the commit version (partials merged). */
  readonly dates: readonly { readonly date: string; readonly version: number }[];
  readonly itemsWritten: number;
  readonly itemsStale: number;
  /** Milliseconds: the whole run, and loading reference data when known. */
  readonly durations: { readonly totalMs: number; readonly referenceMs?: number };
  /** Landing → committed latency of the objects this run committed (absent in older records). */
  readonly landingToCommitted?: LatencySummary;
  readonly failures: readonly RunFailure[];
}

/** What {@link runRecordOf} needs besides the summary. */
export interface RunRecordContext {
  readonly command: string;
  /** Default: a random UUID. */
  readonly runId?: string;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
  /** Milliseconds spent loading reference data, when known. */
  readonly referenceMs?: number;
  /** Dates whose commit failed (reported to `runKpis`'s `onError` with a `date`). */
  readonly dateFailures?: readonly { readonly date: string; readonly error: unknown }[];
}

/** Stable code of an error: its `code`, else its `name`. */
function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; name?: unknown; cause?: unknown };
    // An object's failure names its key and step; the record keeps the cause's code.
    if (e.code === 'OBJECT_FAILED') return errorCodeOf(e.cause);
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  }
  return 'ERROR';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function objectsOf(keys: readonly string[]): RunRecordObjects {
  return { count: keys.length, keys: keys.slice(0, RUN_RECORD_MAX_KEYS) };
}

/** Builds the record of a finished `runKpis` pass. */
export function runRecordOf(summary: RunKpisSummary, context: RunRecordContext): RunRecord {
  const keysOf = (status: string) =>
    summary.outcomes.filter((x) => x.status === status).map((x) => x.key);
  const failures: RunFailure[] = [];
  for (const x of summary.outcomes) {
    if (x.error === undefined || x.status === 'rejected') continue;
    const step: RunFailureStep = x.status === 'failed' ? 'process' : 'archive';
    failures.push({ step, key: x.key, code: errorCodeOf(x.error), message: messageOf(x.error) });
  }
  for (const f of context.dateFailures ?? []) {
    failures.push({
      step: 'commit',
      date: f.date,
      code: errorCodeOf(f.error),
      message: messageOf(f.error),
    });
  }
  const started = context.startedAt;
  return {
    format: 1,
    runId: context.runId ?? randomUUID(),
    command: context.command,
    startedAt: started.toISOString(),
    finishedAt: (context.finishedAt ?? new Date()).toISOString(),
    ok: summary.ok && failures.length === 0,
    objects: {
      committed: objectsOf(keysOf('processed')),
      skipped: objectsOf(keysOf('skipped')),
      quarantined: objectsOf(keysOf('rejected')),
      failed: objectsOf(keysOf('failed')),
      archived: summary.objects.archived,
    },
    rows: {
      read: summary.streams.rowsRead,
      aggregated: summary.streams.rowsAggregated,
      rejected: summary.streams.rowsRejected,
      rejectedByReason: summary.streams.rejectedByReason,
    },
    dates: summary.dates.map((d) => ({ date: d.date, version: d.version })),
    itemsWritten: summary.itemsWritten,
    itemsStale: summary.itemsStale,
    durations: {
      totalMs: Math.round(summary.durationMs),
      ...(context.referenceMs === undefined
        ? {}
        : { referenceMs: Math.round(context.referenceMs) }),
    },
    landingToCommitted: summary.landingToCommitted,
    failures,
  };
}

/** The record of a run that stopped before any object (bad reference data, unreachable table…). */
export function failedRunRecordOf(error: unknown, context: RunRecordContext): RunRecord {
  const none = objectsOf([]);
  const finished = context.finishedAt ?? new Date();
  return {
    format: 1,
    runId: context.runId ?? randomUUID(),
    command: context.command,
    startedAt: context.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    ok: false,
    objects: { committed: none, skipped: none, quarantined: none, failed: none, archived: 0 },
    rows: { read: 0, aggregated: 0, rejected: 0, rejectedByReason: {} },
    dates: [],
    itemsWritten: 0,
    itemsStale: 0,
    durations: { totalMs: finished.getTime() - context.startedAt.getTime() },
    failures: [{ step: 'setup', code: errorCodeOf(error), message: messageOf(error) }],
  };
}
