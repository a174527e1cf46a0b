/**
 * `kpis status`: what is pending, what was committed when, what was
 * quarantined, dead letters, and how the last runs went.
 */
import { readPipelineStatus } from '@streamkpi/dynamo-sink';
import type { StatusArgs } from '../args.js';
import { createAwsClients } from '../aws-clients.js';
import type { CliContext } from '../context.js';
import { classifyError, EXIT } from '../errors.js';
import { formatStatus } from '../format-status.js';

/** `kpis status`: exit 0, 2 (bad flags) or 3 (bucket/table missing, endpoint unreachable). */
export async function statusCommand(args: StatusArgs, ctx: CliContext): Promise<number> {
  const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
  try {
    const status = await readPipelineStatus({
      s3: clients.s3,
      dynamo: clients.dynamo,
      bucket: args.bucket,
      prefix: args.prefix,
      tableName: args.table,
      runs: args.runs,
    });
    ctx.print(args.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return EXIT.ok;
  } catch (error) {
    const c = classifyError(error);
    ctx.printError(`kpis status: ${c.message}\n`);
    return c.exitCode;
  } finally {
    clients.destroy();
  }
}
