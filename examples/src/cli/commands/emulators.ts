/**
 * `kpis emulators`: s3rver and dynalite on 127.0.0.1 for trying the S3 path
 * locally, until Ctrl-C. Prints the environment that points the AWS SDK
 * (and so every `kpis` command) at them.
 */
import { mkdir } from 'node:fs/promises';
import { type DynaliteHandle, startDynalite } from '@streamkpi/dynamo-sink/testing';
import { type RunningS3rver, startS3rver } from '@streamkpi/s3-source/testing';
import type { EmulatorsArgs } from '../args.js';
import { type CliContext, handleInterrupts } from '../context.js';
import { EXIT, reportFailure, SetupError } from '../errors.js';

/** The lines to paste into a shell. */
export function exportLines(s3: string, dynamodb: string): string {
  return [
    `export AWS_ENDPOINT_URL_S3=${s3}`,
    `export AWS_ENDPOINT_URL_DYNAMODB=${dynamodb}`,
    'export AWS_REGION=us-east-1',
    'export AWS_ACCESS_KEY_ID=S3RVER',
    'export AWS_SECRET_ACCESS_KEY=S3RVER',
    '# s3rver needs path-style URLs: add --s3-force-path-style to run, watch, status and generate',
  ].join('\n');
}

async function start(args: EmulatorsArgs): Promise<{ s3: RunningS3rver; db: DynaliteHandle }> {
  if (args.dir !== undefined) await mkdir(args.dir, { recursive: true });
  const inUse = (port: number, flag: string) => (error: unknown) => {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new SetupError(
        'PORT_IN_USE',
        `Port ${port} on 127.0.0.1 is in use: pick another with --${flag}, or 0 for a free one`,
        { cause: error },
      );
    }
    throw error;
  };
  const s3 = await startS3rver({
    buckets: args.buckets,
    port: args.s3Port,
    ...(args.dir === undefined ? {} : { directory: args.dir }),
  }).catch(inUse(args.s3Port, 's3-port'));
  try {
    const db = await startDynalite({ port: args.dynamodbPort }).catch(
      inUse(args.dynamodbPort, 'dynamodb-port'),
    );
    return { s3, db };
  } catch (error) {
    await s3.close();
    throw error;
  }
}

/** `kpis emulators`: runs until SIGINT/SIGTERM, then stops both (exit 0, its normal end); 3 when a port is taken. */
export async function emulatorsCommand(args: EmulatorsArgs, ctx: CliContext): Promise<number> {
  const interrupts = handleInterrupts(ctx.logger, { quiet: true });
  try {
    let running: Awaited<ReturnType<typeof start>>;
    try {
      running = await start(args);
    } catch (error) {
      return reportFailure('emulators', error, ctx.printError);
    }
    ctx.print(`${exportLines(running.s3.endpoint, running.db.endpoint)}\n`);
    const buckets =
      args.buckets.length === 0 ? 'no buckets yet' : `bucket ${args.buckets.join(', ')}`;
    ctx.printError(
      `kpis emulators: S3 (s3rver) at ${running.s3.endpoint} with ${buckets}, DynamoDB (dynalite) at ${running.db.endpoint}; Ctrl-C stops them\n`,
    );
    if (!interrupts.stopping.aborted) {
      await new Promise((resolve) =>
        interrupts.stopping.addEventListener('abort', resolve, { once: true }),
      );
    }
    await Promise.all([running.s3.close(), running.db.close()]);
    ctx.printError('kpis emulators: stopped\n');
    return EXIT.ok;
  } finally {
    interrupts.dispose();
  }
}
