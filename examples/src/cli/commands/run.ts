/**
 * `kpis run`: one pass over s3://bucket/prefix into the DynamoDB table.
 */
import type { RunArgs } from '../args.js';
import { createAwsClients } from '../aws-clients.js';
import { alerter, type CliContext, handleInterrupts } from '../context.js';
import { EXIT, reportFailure } from '../errors.js';
import { onePass, reportPass, trackProgress } from '../pass.js';
import { formatSummary } from '../summary.js';

/** `kpis run`: exit 0, 1 (failures left for a retry), 3 (setup) or 130 (interrupted). */
export async function runCommand(args: RunArgs, ctx: CliContext): Promise<number> {
  const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
  const interrupts = handleInterrupts(ctx.logger);
  // A one-shot run is safe to abort at any point (exactly-once): the first signal aborts.
  const signal = AbortSignal.any([interrupts.stopping, interrupts.hard]);
  const alert = alerter('run', args.alertWebhook, ctx.logger);
  const progress = trackProgress(args, clients, ctx, signal);
  try {
    const pass = await onePass(args, clients, ctx, alert, signal, progress);
    ctx.print(formatSummary(pass.summary));
    await reportPass(args, ctx, pass);
    return pass.summary.ok ? EXIT.ok : EXIT.failures;
  } catch (error) {
    if (signal.aborted) {
      ctx.printError(
        'kpis run: interrupted; already committed objects stay committed, run again to continue\n',
      );
      return EXIT.interrupted;
    }
    await alert(error, { what: 'run' });
    return reportFailure('run', error, ctx.printError);
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
}
