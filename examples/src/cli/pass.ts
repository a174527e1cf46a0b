/**
 * One `runKpis` pass as `run` and `watch` make it: progress, alerts
 * (failures, and each quarantined file once), the run record, the summary.
 */
import { type ReferenceCache, type RunKpisSummary, runKpis } from '@streamkpi/dynamo-sink';
import { listObjects } from '@streamkpi/s3-source';
import type { RunArgs } from './args.js';
import type { AwsClients } from './aws-clients.js';
import type { alerter, CliContext } from './context.js';
import { createProgress, type Progress } from './progress.js';
import { recordPass } from './run-record.js';
import { type CliSummary, summaryOfRun, writeSummaryJson } from './summary.js';

/** A finished pass. */
export interface Pass {
  readonly summary: CliSummary;
  readonly raw: RunKpisSummary;
}

/** A bar for `run` on a terminal, its totals from a listing of `streams/` alongside the run. */
export function trackProgress(
  args: RunArgs,
  clients: AwsClients,
  ctx: CliContext,
  signal: AbortSignal,
): Progress {
  const progress = createProgress(ctx.progressStream);
  // Count the objects and bytes for the bar's total; a failure only leaves the total open.
  void (async () => {
    let n = 0;
    let bytes = 0;
    try {
      for await (const o of listObjects({
        client: clients.s3,
        bucket: args.bucket,
        prefix: `${args.prefix}streams/`,
        signal,
      })) {
        bytes += o.size;
        progress.setTotal(++n, bytes);
      }
    } catch {
      // The run itself reports listing errors.
    }
  })();
  return progress;
}

/** Runs one pass; records it (also when it throws, unless aborted). */
export async function onePass(
  args: RunArgs,
  clients: AwsClients,
  ctx: CliContext,
  alert: ReturnType<typeof alerter>,
  signal: AbortSignal,
  progress: Progress,
  referenceCache?: ReferenceCache,
): Promise<Pass> {
  const retriesBefore = clients.retries();
  const startedAt = new Date();
  const dateFailures: { date: string; error: unknown }[] = [];
  let referenceMs: number | undefined;
  let done = 0;
  let raw: RunKpisSummary;
  try {
    raw = await runKpis({
      s3: clients.s3,
      dynamo: clients.dynamo,
      bucket: args.bucket,
      prefix: args.prefix,
      tableName: args.table,
      ...(args.archiveBucket === undefined ? {} : { archiveBucket: args.archiveBucket }),
      archivePrefix: args.archivePrefix,
      timeZone: args.timeZone,
      sourceTimeZone: args.sourceTimeZone,
      uniqueListeners: args.uniqueListeners,
      concurrency: args.concurrency,
      ...(args.threads === undefined ? {} : { threads: args.threads }),
      ...(args.timeout === undefined ? {} : { timeoutMs: args.timeout * 1000 }),
      stallTimeoutMs: args.stallTimeout * 1000,
      signal,
      ...(referenceCache === undefined ? {} : { referenceCache }),
      ...(args.referenceCache === undefined ? {} : { referenceCacheDir: args.referenceCache }),
      onReference: (loaded) => {
        referenceMs = loaded.durationMs;
        const info = {
          tracks: loaded.songs.tracks,
          genres: loaded.songs.genres,
          users: loaded.users?.users ?? 0,
          rowsRead: loaded.rowsRead,
          reused: loaded.reused.songs && loaded.reused.users,
          durationMs: loaded.durationMs,
        };
        progress.reference(info);
        ctx.logger.debug(info, 'reference data loaded');
      },
      onObject: (outcome, totals) => {
        progress.update(++done, totals.rowsRead, totals.bytesRead);
        ctx.logger.debug(
          {
            key: outcome.key,
            status: outcome.status,
            archived: outcome.archived,
            dates: outcome.dates,
          },
          'object done',
        );
      },
      onError: (error, where) => {
        if (where.date !== undefined && where.key === undefined) {
          dateFailures.push({ date: where.date, error });
        }
        return alert(error, {
          ...(where.key === undefined ? {} : { object: `s3://${args.bucket}/${where.key}` }),
          ...(where.date === undefined ? {} : { date: where.date }),
        });
      },
    });
  } catch (error) {
    progress.stop();
    if (!signal.aborted) await recordPass(args, clients, ctx, { error }, { startedAt });
    throw error;
  }
  progress.stop();
  for (const o of raw.outcomes) {
    if (o.status === 'rejected') {
      await alert(o.error, { what: 'rejected', object: `s3://${args.bucket}/${o.key}` });
    }
  }
  await recordPass(
    args,
    clients,
    ctx,
    { summary: raw },
    { startedAt, dateFailures, ...(referenceMs === undefined ? {} : { referenceMs }) },
  );
  const summary = summaryOfRun(args.command, raw, clients.retries() - retriesBefore);
  return { summary, raw };
}

/** Logs the pass and writes `--summary-json`. */
export async function reportPass(args: RunArgs, ctx: CliContext, pass: Pass): Promise<void> {
  ctx.logger.debug(
    { summary: { ...pass.summary, failures: pass.summary.failures.length } },
    'pass finished',
  );
  if (args.summaryJson !== undefined) await writeSummaryJson(args.summaryJson, pass.summary);
}
