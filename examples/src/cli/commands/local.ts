/**
 * `kpis local`: the pipeline on a local folder, KPI items as NDJSON.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { KpiItem } from '@streamkpi/core';
import { runLocalKpis } from '../../local-runner.js';
import type { LocalArgs } from '../args.js';
import { alerter, type CliContext, handleInterrupts } from '../context.js';
import { classifyError, EXIT } from '../errors.js';
import { createProgress } from '../progress.js';
import { formatSummary, summaryOfLocal, writeSummaryJson } from '../summary.js';

/** Writes one JSON object per line to `out` (`-`: stdout), with backpressure. */
async function writeNdjson(out: string, items: readonly KpiItem[]): Promise<void> {
  const stream = out === '-' ? process.stdout : createWriteStream(out);
  let buffer = '';
  for (const item of items) {
    buffer += `${JSON.stringify(item)}\n`;
    if (buffer.length >= 1 << 16) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  if (out === '-') {
    if (buffer !== '' && !stream.write(buffer)) await once(stream, 'drain');
    return;
  }
  stream.end(buffer);
  await finished(stream);
}

/** `kpis local`: exit 0, 1 (a file rejected or failed), 3 (missing input) or 130. */
export async function localCommand(args: LocalArgs, ctx: CliContext): Promise<number> {
  const interrupts = handleInterrupts(ctx.logger);
  const signal = AbortSignal.any([interrupts.stopping, interrupts.hard]);
  const alert = alerter('local', args.alertWebhook, ctx.logger);
  const progress = createProgress();
  // With --out -, stdout carries the items: the summary goes to stderr.
  const print = args.out === '-' ? ctx.printError : ctx.print;
  try {
    const { items, summary } = await runLocalKpis({
      input: args.input,
      timeZone: args.timeZone,
      sourceTimeZone: args.sourceTimeZone,
      uniqueListeners: args.uniqueListeners,
      concurrency: args.concurrency,
      ...(args.threads === undefined ? {} : { threads: args.threads }),
      deadLetterPath: args.deadLetter,
      ...(args.referenceCache === undefined ? {} : { referenceCache: args.referenceCache }),
      signal,
      onDataset: (dataset) => progress.setTotal(dataset.streams.length),
      onFile: (outcome) => {
        progress.done(outcome.file);
        ctx.logger.debug(
          { file: outcome.file, status: outcome.status, counts: outcome.counts },
          'file done',
        );
      },
    });
    progress.stop();
    await writeNdjson(args.out, items);
    for (const o of summary.outcomes) {
      if (o.error !== undefined) await alert(o.error, { what: 'file', object: o.file });
    }
    const dates = [...new Set(items.map((i) => i.date))];
    const cli = summaryOfLocal(summary, items.length, dates);
    print(formatSummary(cli));
    if (
      summary.streams.rowsRejected +
        summary.reference.songs.rowsRejected +
        summary.reference.users.rowsRejected >
      0
    ) {
      print(`dead letter: ${args.deadLetter}\n`);
    }
    ctx.logger.info({ summary: { ...cli, failures: cli.failures.length } }, 'local run finished');
    if (args.summaryJson !== undefined) await writeSummaryJson(args.summaryJson, cli);
    return cli.ok ? EXIT.ok : EXIT.failures;
  } catch (error) {
    progress.stop();
    if (signal.aborted) {
      ctx.printError('kpis local: interrupted\n');
      return EXIT.interrupted;
    }
    const c = classifyError(error);
    await alert(error, { what: 'run' });
    ctx.printError(`kpis local: ${c.message}\n`);
    return c.exitCode;
  } finally {
    interrupts.dispose();
  }
}
