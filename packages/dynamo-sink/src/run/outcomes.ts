/**
 * What a run reports per object, and every failure of a run (object, date,
 * archive) with the key of the object concerned.
 */
import { isTransient, ObjectFailedError, type ObjectStep } from './object-failure.js';

/** What happened to one stream object. */
export interface ObjectOutcome {
  readonly key: string;
  readonly etag: string;
  /**
   * `processed`: read and committed now; `skipped`: captured earlier (its
   * dates are committed if they were not, and it is archived); `rejected`:
   * quarantined — empty, its header lacks required columns, its format is
   * broken (`unprocessableFile`), or its key is unsafe — moved to
   * `rejected/` with a report (`error` says why); `claimed`: another live
   * worker holds it, left to that worker; `failed`: left in place, see `error`.
   */
  readonly status: 'processed' | 'skipped' | 'rejected' | 'claimed' | 'failed';
  readonly dates: readonly string[];
  readonly archived: boolean;
  /** Landing (the object's Last-Modified) → all its dates committed, for objects read by this run. */
  readonly landingToCommittedMs?: number;
  readonly error?: unknown;
}

/** Landing → committed latency of the objects a run read (nearest-rank percentiles). */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

/** One failure of a run. */
export interface RunKpisFailure {
  /** `object`: claiming or capturing it failed; `date`: a commit of one of its dates; `archive`: moving it to the archive. */
  readonly kind: 'object' | 'date' | 'archive';
  /** The stream object concerned (a failed date: one entry per object waiting on it). */
  readonly key: string;
  /** The failed date (kind `date`). */
  readonly date?: string;
  /** The step that failed. */
  readonly step: ObjectStep;
  /** Whether a later attempt may succeed (network, throttling, timeouts, 5xx). */
  readonly transient: boolean;
  /** The error; its message names the object (or the date), the step and the cause. */
  readonly error: unknown;
}

/**
 * Every failure of a run: one per object that failed (not quarantined, not
 * left to another worker), plus one per (failed date, object waiting on it).
 */
export function failuresOf(
  outcomes: readonly ObjectOutcome[],
  failedDates: ReadonlyMap<string, unknown>,
): RunKpisFailure[] {
  const out: RunKpisFailure[] = [];
  for (const o of outcomes) {
    if (o.error === undefined || o.status === 'rejected') continue;
    const step = o.error instanceof ObjectFailedError ? o.error.step : 'capture';
    if (step === 'commit') continue; // listed per date below
    const kind = step === 'archive' ? 'archive' : 'object';
    out.push({ kind, key: o.key, step, transient: isTransient(o.error), error: o.error });
  }
  for (const [date, error] of failedDates) {
    const waiting = outcomes.filter((o) => !o.archived && o.dates.includes(date));
    const keys = waiting.length === 0 ? ['(no object)'] : waiting.map((o) => o.key);
    for (const key of keys) {
      out.push({ kind: 'date', key, date, step: 'commit', transient: isTransient(error), error });
    }
  }
  return out;
}
