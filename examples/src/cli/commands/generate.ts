/**
 * `kpis generate`: a synthetic dataset on disk, optionally uploaded to S3.
 */
import { generateDataset, uploadDirectory } from '../../generate/index.js';
import type { GenerateArgs } from '../args.js';
import { withAwsClients } from '../aws-clients.js';
import type { CliContext } from '../context.js';
import { EXIT, reportFailure } from '../errors.js';

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
    const bucket = args.bucket;
    if (bucket !== undefined) {
      const uploaded = await withAwsClients({ forcePathStyle: args.s3ForcePathStyle }, (clients) =>
        uploadDirectory({
          client: clients.s3,
          bucket,
          prefix: args.prefix,
          dir: args.out,
        }),
      );
      ctx.print(`uploaded ${uploaded.length} objects to s3://${bucket}/${args.prefix}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    return reportFailure('generate', error, ctx.printError);
  }
}
