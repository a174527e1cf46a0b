/**
 * `kpis run` (one pass) and `kpis watch` (a pass every `--interval`
 * seconds): S3 → DynamoDB with `runKpis`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createReferenceCache,
  type ReferenceCache,
  type RunKpisSummary,
  runKpis,
} from '@streamkpi/dynamo-sink';
import { listObjects } from '@streamkpi/s3-source';
import type { RunArgs } from '../args.js';
import { type AwsClients, createAwsClients } from '../aws-clients.js';
import { alerter, type CliContext, handleInterrupts } from '../context.js';
import { classifyError, EXIT } from '../errors.js';
import { createProgress, type Progress } from '../progress.js';
import { recordPass } from '../run-record.js';
import { type CliSummary, formatSummary, summaryOfRun, writeSummaryJson } from '../summary.js';

interface Pass {
  readonly summary: CliSummary;
  readonly raw: RunKpisSummary;
}

async function onePass(
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
      onObject: (outcome) => {
        progress.done(outcome.key);
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
    if (!signal.aborted) await recordPass(args, clients, ctx, { error }, { startedAt });
    throw error;
  }
  await recordPass(args, clients, ctx, { summary: raw }, { startedAt, dateFailures });
  const summary = summaryOfRun(args.command, raw, clients.retries() - retriesBefore);
  return { summary, raw };
}

/** A bar fed by GetObject calls on `streams/` and finished objects (TTY only). */
function trackProgress(args: RunArgs, clients: AwsClients, signal: AbortSignal): Progress {
  if (process.stderr.isTTY !== true) return createProgress(false);
  const progress = createProgress(true);
  const streams = `${args.prefix}streams/`;
  type Handler = (input: { readonly input: unknown }) => Promise<unknown>;
  clients.s3.middlewareStack.add(
    ((next: Handler, context: { readonly commandName?: string }) =>
      async (input: { readonly input: unknown }) => {
        const key = (input.input as { Key?: unknown }).Key;
        if (
          context.commandName === 'GetObjectCommand' &&
          typeof key === 'string' &&
          key.startsWith(streams)
        ) {
          progress.read(key);
        }
        return next(input);
      }) as never,
    { step: 'initialize', name: 'kpisProgress' },
  );
  // Count the objects for the bar's total; a failure only leaves the total open.
  void (async () => {
    let n = 0;
    try {
      for await (const _ of listObjects({
        client: clients.s3,
        bucket: args.bucket,
        prefix: streams,
        signal,
      })) {
        progress.setTotal(++n);
      }
    } catch {
      // The run itself reports listing errors.
    }
  })();
  return progress;
}

async function finish(args: RunArgs, ctx: CliContext, pass: Pass): Promise<void> {
  ctx.print(formatSummary(pass.summary));
  ctx.logger.info(
    { summary: { ...pass.summary, failures: pass.summary.failures.length } },
    'pass finished',
  );
  if (args.summaryJson !== undefined) await writeSummaryJson(args.summaryJson, pass.summary);
}

/** `kpis run`: one pass; exit 0, 1 (failures), 3 (setup) or 130 (interrupted). */
export async function runCommand(args: RunArgs, ctx: CliContext): Promise<number> {
  const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
  const interrupts = handleInterrupts(ctx.logger);
  // A one-shot run is safe to abort at any point (exactly-once): the first signal aborts.
  const signal = AbortSignal.any([interrupts.stopping, interrupts.hard]);
  const alert = alerter('run', args.alertWebhook, ctx.logger);
  const progress = trackProgress(args, clients, signal);
  try {
    const pass = await onePass(args, clients, ctx, alert, signal, progress);
    progress.stop();
    await finish(args, ctx, pass);
    return pass.summary.ok ? EXIT.ok : EXIT.failures;
  } catch (error) {
    progress.stop();
    if (signal.aborted) {
      ctx.printError(
        'kpis run: interrupted; already committed objects stay committed, run again to continue\n',
      );
      return EXIT.interrupted;
    }
    const c = classifyError(error);
    await alert(error, { what: 'run' });
    ctx.printError(`kpis run: ${c.message}\n`);
    return c.exitCode;
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
}

/**
 * `kpis watch`: a pass every `--interval` seconds. The first Ctrl-C lets the
 * current pass finish (its commits and archiving) and stops; a second one
 * aborts it. A setup error on the first pass exits (3); later errors are
 * logged, alerted and retried at the next interval. Exit 1 when any pass had
 * failures.
 */
export async function watchCommand(args: RunArgs, ctx: CliContext): Promise<number> {
  const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
  const interrupts = handleInterrupts(ctx.logger);
  const alert = alerter('watch', args.alertWebhook, ctx.logger);
  // Songs and users are read again only when their objects change.
  const referenceCache = createReferenceCache();
  let passes = 0;
  let failed = false;
  try {
    while (!interrupts.stopping.aborted) {
      passes++;
      try {
        const pass = await onePass(
          args,
          clients,
          ctx,
          alert,
          interrupts.hard,
          createProgress(false),
          referenceCache,
        );
        await finish(args, ctx, pass);
        if (!pass.summary.ok) failed = true;
      } catch (error) {
        if (interrupts.hard.aborted) {
          ctx.printError('kpis watch: aborted; run again to continue\n');
          return EXIT.interrupted;
        }
        const c = classifyError(error);
        await alert(error, { what: 'run' });
        if (passes === 1 || c.exitCode === EXIT.usage) {
          ctx.printError(`kpis watch: ${c.message}\n`);
          return c.exitCode;
        }
        failed = true;
        ctx.logger.warn({ code: c.code }, `pass ${passes} failed; retrying in ${args.interval} s`);
      }
      try {
        await sleep(args.interval * 1000, undefined, { signal: interrupts.stopping });
      } catch {
        // Stopped while waiting.
      }
    }
    ctx.logger.info({ passes }, 'watch stopped');
    return failed ? EXIT.failures : EXIT.ok;
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
}
