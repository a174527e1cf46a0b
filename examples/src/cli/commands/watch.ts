/**
 * `kpis watch`: a `run` pass every `--interval` seconds until Ctrl-C, one
 * timestamped line per pass (the full summary with `-v`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createReferenceCache } from '@streamkpi/dynamo-sink';
import type { RunArgs } from '../args.js';
import { createAwsClients } from '../aws-clients.js';
import { alerter, type CliContext, handleInterrupts } from '../context.js';
import { classifyError, EXIT } from '../errors.js';
import { onePass, reportPass } from '../pass.js';
import { createProgress } from '../progress.js';
import { formatSummary, passLine } from '../summary.js';

/**
 * The first Ctrl-C lets the current pass finish (its commits and
 * archiving) and stops with exit 130; a second one aborts it. A setup error
 * on the first pass exits (3); later errors are logged, alerted and retried
 * at the next interval.
 */
export async function watchCommand(args: RunArgs, ctx: CliContext): Promise<number> {
  const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
  const interrupts = handleInterrupts(ctx.logger);
  const alert = alerter('watch', args.alertWebhook, ctx.logger);
  const quiet = createProgress({ isTTY: false } as NodeJS.WritableStream & { isTTY: boolean });
  // Songs and users are read again only when their objects change.
  const referenceCache = createReferenceCache();
  let passes = 0;
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
          quiet,
          referenceCache,
        );
        ctx.print(passLine(passes, pass.summary, new Date()));
        if (ctx.verbose) ctx.print(formatSummary(pass.summary));
        await reportPass(args, ctx, pass);
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
        ctx.logger.warn({ code: c.code }, `pass ${passes} failed; retrying in ${args.interval} s`);
      }
      try {
        await sleep(args.interval * 1000, undefined, { signal: interrupts.stopping });
      } catch {
        // Stopped while waiting.
      }
    }
    ctx.printError(`kpis watch: stopped after ${passes} pass${passes === 1 ? '' : 'es'}\n`);
    return EXIT.interrupted;
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
}
