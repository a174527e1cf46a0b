/**
 * `kpis generate`: a synthetic dataset on disk, optionally uploaded to S3.
 */
import { generateDataset, uploadDirectory } from '../../generate/index.js';
import type { GenerateArgs } from '../args.js';
import { createAwsClients } from '../aws-clients.js';
import type { CliContext } from '../context.js';
import { classifyError, EXIT } from '../errors.js';

/** `kpis generate`: exit 0, 2 (bad options) or 3 (upload target unreachable/missing). */
export async function generateCommand(args: GenerateArgs, ctx: CliContext): Promise<number> {
  try {
    const manifest = await generateDataset({
      dir: args.out,
      streamRows: args.rows,
      streamFiles: args.files,
      days: args.days,
      seed: args.seed,
      dirtyRate: args.dirty,
      gzip: args.gzip,
    });
    const t = manifest.streams.totals;
    ctx.print(
      `wrote ${args.out}: ${manifest.songs.rows.toLocaleString('en-US')} song rows, ${manifest.users.rows.toLocaleString('en-US')} users, ` +
        `${t.rows.toLocaleString('en-US')} stream rows in ${manifest.streams.files.length} files (${t.dirtyRows.toLocaleString('en-US')} dirty)\n`,
    );
    if (args.bucket !== undefined) {
      const clients = createAwsClients({ forcePathStyle: args.s3ForcePathStyle });
      try {
        const uploaded = await uploadDirectory({
          client: clients.s3,
          bucket: args.bucket,
          prefix: args.prefix,
          dir: args.out,
        });
        ctx.print(`uploaded ${uploaded.length} objects to s3://${args.bucket}/${args.prefix}\n`);
      } finally {
        clients.destroy();
      }
    }
    return EXIT.ok;
  } catch (error) {
    const c = classifyError(error);
    ctx.printError(`kpis generate: ${c.message}\n`);
    return c.exitCode;
  }
}
