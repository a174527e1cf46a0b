/**
 * `kpis local`: the pipeline on a local folder, KPI items as NDJSON.
 */
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { runLocalKpis } from '../../local-runner.js';
import type { LocalArgs } from '../args.js';
import { alerter, type CliContext, handleInterrupts } from '../context.js';
import { EXIT, reportFailure } from '../errors.js';
import { checkOutputFolder, tempDeadLetterPath, writeNdjson } from '../output-files.js';
import { createProgress } from '../progress.js';
import { formatSummary, summaryOfLocal, writeSummaryJson } from '../summary.js';

/** `kpis local`: exit 0, 1 (a file failed), 3 (missing input or output folder) or 130. */
export async function localCommand(args: LocalArgs, ctx: CliContext): Promise<number> {
  const interrupts = handleInterrupts(ctx.logger);
  const signal = AbortSignal.any([interrupts.stopping, interrupts.hard]);
  const alert = alerter('local', args.alertWebhook, ctx.logger);
  const progress = createProgress(ctx.progressStream);
  // With --out -, stdout carries the items: the summary goes to stderr.
  const print = args.out === '-' ? ctx.printError : ctx.print;
  const deadLetter =
    args.deadLetter ?? (args.out === '-' ? tempDeadLetterPath() : `${args.out}.dead-letter.ndjson`);
  try {
    await checkOutputFolder(args.out, 'out');
    await checkOutputFolder(args.deadLetter, 'dead-letter');
    await checkOutputFolder(args.summaryJson, 'summary-json');
    const sizes = new Map<string, number>();
    let files = 0;
    let rows = 0;
    let bytes = 0;
    const { items, summary } = await runLocalKpis({
      input: args.input,
      timeZone: args.timeZone,
      sourceTimeZone: args.sourceTimeZone,
      uniqueListeners: args.uniqueListeners,
      concurrency: args.concurrency,
      ...(args.threads === undefined ? {} : { threads: args.threads }),
      deadLetterPath: deadLetter,
      ...(args.referenceCache === undefined ? {} : { referenceCache: args.referenceCache }),
      signal,
      onDataset: (dataset) => {
        progress.setTotal(dataset.streams.length);
        // Sizes for the ETA; a file that cannot be stat'ed only leaves it rougher.
        void Promise.all(
          dataset.streams.map(async (path) => {
            const size = await stat(path).then(
              (s) => s.size,
              () => 0,
            );
            sizes.set(relative(args.input, path).split(sep).join('/'), size);
            return size;
          }),
        ).then((all) =>
          progress.setTotal(
            dataset.streams.length,
            all.reduce((a, b) => a + b, 0),
          ),
        );
      },
      onReference: (loaded) => {
        const info = {
          tracks: loaded.songs.tracks,
          genres: loaded.songs.genres,
          users: loaded.users?.users ?? 0,
          rowsRead: loaded.rowsRead,
          durationMs: loaded.durationMs,
        };
        progress.reference(info);
        ctx.logger.debug(info, 'reference data loaded');
      },
      onFile: (outcome) => {
        files++;
        rows += outcome.counts.rowsRead;
        bytes += sizes.get(outcome.file) ?? 0;
        progress.update(files, rows, bytes);
        ctx.logger.debug(
          { file: outcome.file, status: outcome.status, counts: outcome.counts },
          'file done',
        );
      },
    });
    progress.stop();
    await writeNdjson(args.out, items);
    for (const o of summary.outcomes) {
      if (o.status === 'rejected') await alert(o.error, { what: 'rejected', object: o.file });
      else if (o.error !== undefined) await alert(o.error, { what: 'file', object: o.file });
    }
    const dates = [...new Set(items.map((i) => i.date))];
    const cli = summaryOfLocal(summary, items.length, dates);
    print(formatSummary(cli));
    const rejectedRows =
      summary.streams.rowsRejected +
      summary.reference.songs.rowsRejected +
      summary.reference.users.rowsRejected;
    if (rejectedRows > 0) print(`dead letter: ${deadLetter}\n`);
    ctx.logger.debug({ summary: { ...cli, failures: cli.failures.length } }, 'local run finished');
    if (args.summaryJson !== undefined) await writeSummaryJson(args.summaryJson, cli);
    return cli.ok ? EXIT.ok : EXIT.failures;
  } catch (error) {
    progress.stop();
    if (signal.aborted) {
      ctx.printError('kpis local: interrupted\n');
      return EXIT.interrupted;
    }
    await alert(error, { what: 'run' });
    return reportFailure('local', error, ctx.printError);
  } finally {
    interrupts.dispose();
  }
}
