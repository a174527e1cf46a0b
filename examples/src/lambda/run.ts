/**
 * One run of the exactly-once runner for the handler: over named stream
 * objects (events, backfill batches) or the whole prefix (reconciliation),
 * with the execution environment's clients and reference cache; its counts
 * become EMF metrics, one structured log line and a run record.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type RunKpisSummary, runKpis } from '@streamkpi/dynamo-sink';
import type { KpiHandlerRuntime } from './environment.js';
import type { NamedObject } from './inputs.js';
import { METRIC } from './metric-names.js';
import { recordRun } from './run-record.js';

/** The compact summary a run returns (and a backfill child's output). */
export interface KpiRunResult {
  readonly objects: number;
  readonly processed: number;
  readonly skipped: number;
  readonly rejected: number;
  readonly failed: number;
  /**
   * Left to another invocation's live claim (it commits them, or its claim
   * expires and a redelivery or the reconciliation takes them over).
   */
  readonly claimed: number;
  readonly rowsRead: number;
  readonly rowsAggregated: number;
  readonly rowsRejected: number;
  readonly itemsWritten: number;
  /** The songs and users tables came from the cache, unread. */
  readonly referenceReused: boolean;
  readonly ok: boolean;
  /** One line per failure (object or date). */
  readonly errors: readonly string[];
}

/** Per-invocation settings of every run (deadline, cancellation). */
export interface InvocationRunOptions {
  readonly signal?: AbortSignal;
  /** Epoch ms by which every run of the invocation must end (its `timeoutMs` is what is left). */
  readonly deadlineAt?: number;
}

/** The result when an input names no stream object (a test event, a folder marker). */
export const NO_RUN: KpiRunResult = {
  objects: 0,
  processed: 0,
  skipped: 0,
  rejected: 0,
  failed: 0,
  claimed: 0,
  rowsRead: 0,
  rowsAggregated: 0,
  rowsRejected: 0,
  itemsWritten: 0,
  referenceReused: false,
  ok: true,
  errors: [],
};

/**
 * Runs over `objects` (their stream keys; others are ignored) or, without
 * objects, over everything under `<prefix>streams/`.
 */
export async function runForObjects(
  rt: KpiHandlerRuntime,
  bucket: string,
  objects: readonly NamedObject[] | undefined,
  invocation: InvocationRunOptions,
): Promise<KpiRunResult> {
  const s = rt.settings;
  const streams = `${s.prefix}streams/`;
  const named = objects?.filter((o) => o.key.startsWith(streams) && !o.key.endsWith('/'));
  if (named !== undefined && named.length === 0) return NO_RUN;
  const errors: string[] = [];
  const dateFailures: { date: string; error: unknown }[] = [];
  const startedAt = new Date();
  const run = runKpis({
    s3: rt.s3,
    dynamo: rt.dynamo,
    bucket,
    prefix: s.prefix,
    tableName: s.tableName,
    ...(s.stateTableName === undefined ? {} : { stateTableName: s.stateTableName }),
    createTable: s.createTable,
    ...(s.archiveBucket === undefined ? {} : { archiveBucket: s.archiveBucket }),
    ...(s.archivePrefix === undefined ? {} : { archivePrefix: s.archivePrefix }),
    timeZone: s.timeZone,
    sourceTimeZone: s.sourceTimeZone,
    // One bundle file: no worker threads (a Lambda of 1,769 MB has one vCPU).
    threads: 0,
    ...(named === undefined ? {} : { keys: [...new Set(named.map((o) => o.key))] }),
    referenceCache: rt.referenceCache,
    ...(invocation.signal === undefined ? {} : { signal: invocation.signal }),
    ...(invocation.deadlineAt === undefined
      ? {}
      : { timeoutMs: Math.max(1, invocation.deadlineAt - Date.now()) }),
    onError: (error, where) => {
      const at = where.date ?? where.key ?? bucket;
      errors.push(`${at}: ${error instanceof Error ? error.message : String(error)}`);
      if (where.date !== undefined) dateFailures.push({ date: where.date, error });
      rt.logger.error('KPI run failure', { ...where, bucket, error: error as Error });
    },
  });
  let summary: RunKpisSummary;
  try {
    summary = await run;
  } catch (error) {
    const runRecord = await recordRun(rt, bucket, { error }, { startedAt }, invocation.signal);
    rt.logger.error('KPI run failed', { bucket, runRecord, error: error as Error });
    throw error;
  }
  const result = compact(summary, errors);
  record(rt, summary, named);
  const runRecord = await recordRun(
    rt,
    bucket,
    { summary },
    { startedAt, dateFailures },
    invocation.signal,
  );
  rt.logger.info('KPI run finished', {
    bucket,
    ...result,
    durationMs: summary.durationMs,
    runRecord,
  });
  return result;
}

function compact(summary: RunKpisSummary, errors: readonly string[]): KpiRunResult {
  const o = summary.objects;
  return {
    objects: summary.outcomes.length,
    processed: o.processed,
    skipped: o.skipped,
    rejected: o.rejected,
    failed: o.failed,
    claimed: o.claimed,
    rowsRead: summary.streams.rowsRead,
    rowsAggregated: summary.streams.rowsAggregated,
    rowsRejected: summary.streams.rowsRejected,
    itemsWritten: summary.itemsWritten,
    referenceReused: summary.reference.reused.songs && summary.reference.reused.users,
    // A rejected file is reported (metric, alarm), not retried: it is moved away.
    ok: o.failed === 0 && errors.length === 0,
    errors,
  };
}

/** EMF metrics of one run (published by the handler at the end of the invocation). */
function record(
  rt: KpiHandlerRuntime,
  summary: RunKpisSummary,
  named: readonly NamedObject[] | undefined,
): void {
  const m = rt.metrics;
  const count = (name: string, value: number) => m.addMetric(name, MetricUnit.Count, value);
  count(METRIC.rowsRead, summary.streams.rowsRead);
  count(METRIC.rowsAggregated, summary.streams.rowsAggregated);
  count(METRIC.rowsRejected, summary.streams.rowsRejected);
  count(METRIC.objectsProcessed, summary.objects.processed);
  count(METRIC.objectsSkipped, summary.objects.skipped);
  count(METRIC.filesRejected, summary.objects.rejected);
  count(METRIC.objectsFailed, summary.objects.failed);
  count(METRIC.itemsWritten, summary.itemsWritten);
  count(METRIC.referenceReused, summary.reference.reused.songs ? 1 : 0);
  m.addMetric(METRIC.runDuration, MetricUnit.Milliseconds, summary.durationMs);
  const landed = new Map(named?.map((o) => [o.key, o.landedAt]));
  const now = Date.now();
  for (const outcome of summary.outcomes) {
    const at = landed.get(outcome.key);
    if (outcome.status === 'processed' && outcome.archived && at !== undefined)
      m.addMetric(METRIC.commitLatency, MetricUnit.Milliseconds, Math.max(0, now - at.getTime()));
  }
}
