/**
 * `kpis status`: what is pending, what was committed when, what was
 * quarantined, dead letters, and how the last runs went.
 */
import { readPipelineStatus } from '@streamkpi/dynamo-sink';
import type { StatusArgs } from '../args.js';
import { withAwsClients } from '../aws-clients.js';
import type { CliContext } from '../context.js';
import { EXIT, reportFailure } from '../errors.js';
import { formatStatus } from '../format-status.js';

/** `kpis status`: exit 0, 2 (bad flags) or 3 (bucket/table missing, endpoint unreachable). */
export async function statusCommand(args: StatusArgs, ctx: CliContext): Promise<number> {
  try {
    const status = await withAwsClients({ forcePathStyle: args.s3ForcePathStyle }, (clients) =>
      readPipelineStatus({
        s3: clients.s3,
        dynamo: clients.dynamo,
        bucket: args.bucket,
        prefix: args.prefix,
        tableName: args.table,
        runs: args.runs,
      }),
    );
    ctx.print(args.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return EXIT.ok;
  } catch (error) {
    return reportFailure('status', error, ctx.printError);
  }
}
