/**
 * `kpis dashboard`: serves the browser dashboard (KPI table and pipeline
 * health) on 127.0.0.1 until Ctrl-C.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { startDashboard } from '../../dashboard/server.js';
import type { DashboardArgs } from '../args.js';
import { createAwsClients } from '../aws-clients.js';
import { type CliContext, handleInterrupts } from '../context.js';
import { EXIT, errorCode, reportFailure } from '../errors.js';

/**
 * `kpis dashboard`: exit 0 after Ctrl-C, 2 for bad flags, 3 when the port
 * is taken or AWS is unreachable. A table that does not exist yet is only a
 * warning: a `watch` started later creates it and the page picks it up.
 */
export async function dashboardCommand(args: DashboardArgs, ctx: CliContext): Promise<number> {
  const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
  const interrupts = handleInterrupts(ctx.logger);
  try {
    try {
      await clients.dynamo.send(new DescribeTableCommand({ TableName: args.table }), {
        abortSignal: interrupts.stopping,
      });
    } catch (error) {
      if (errorCode(error) !== 'ResourceNotFoundException') throw error;
      ctx.logger.warn(
        { table: args.table },
        'the table does not exist yet; the page shows its KPIs once a run creates it',
      );
    }
    const dashboard = await startDashboard({
      dynamo: clients.dynamo,
      s3: clients.s3,
      tableName: args.table,
      ...(args.bucket === undefined ? {} : { bucket: args.bucket, prefix: args.prefix }),
      host: args.host,
      port: args.port,
      refreshSeconds: args.refresh,
    });
    ctx.print(`Dashboard of table ${args.table} at ${dashboard.url} (Ctrl-C to stop)\n`);
    if (!interrupts.stopping.aborted) {
      await new Promise((resolve) => interrupts.stopping.addEventListener('abort', resolve));
    }
    await dashboard.close();
    return EXIT.ok;
  } catch (error) {
    if (interrupts.stopping.aborted) return EXIT.interrupted;
    if (errorCode(error) === 'EADDRINUSE') {
      ctx.printError(
        `kpis dashboard: ${args.host}:${args.port} is already in use; choose another --port\n`,
      );
      return EXIT.setup;
    }
    return reportFailure('dashboard', error, ctx.printError);
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
}
