/**
 * `kpis dashboard`: serves the browser dashboard (KPI table and pipeline
 * health) on 127.0.0.1 until Ctrl-C. Its flags are parsed here, with the
 * same rules and messages as the other commands'.
 */
import { parseArgs } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { startDashboard } from '../../dashboard/server.js';
import { createAwsClients } from '../aws-clients.js';
import { type CliContext, handleInterrupts } from '../context.js';
import { classifyError, EXIT, errorCode, UsageError } from '../errors.js';

/** Flags of `dashboard`. */
export interface DashboardArgs {
  readonly table: string;
  readonly bucket?: string;
  readonly prefix: string;
  readonly host: string;
  readonly port: number;
  readonly refresh: number;
  readonly s3ForcePathStyle: boolean;
}

/** Usage of `kpis dashboard`. */
export const DASHBOARD_USAGE = `Usage: pnpm kpis dashboard --table T [flags]

Serves a page with the day's genre KPIs and the pipeline's health.

  --table T               DynamoDB table written by run/watch (required)
  --bucket B              bucket of run/watch: adds runs, pending, quarantined, dead letter
  --prefix P              prefix of run/watch (default '')
  --port N                port (default 8080; 0 picks a free one)
  --host H                interface (default 127.0.0.1: this machine only)
  --refresh SECONDS       the page's refresh interval (default 15; 0: button only)
  --s3-force-path-style   path-style S3 URLs (needed by s3rver, MinIO…)`;

function integer(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max) {
    throw new UsageError(`Expected --${flag} to be an integer from 0 to ${max}, got "${value}"`);
  }
  return n;
}

/** Parses the flags after `dashboard`; `undefined` for `--help`. @throws UsageError */
export function parseDashboardArgs(argv: readonly string[]): DashboardArgs | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        table: { type: 'string' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        refresh: { type: 'string' },
        's3-force-path-style': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(
      `kpis dashboard: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (values.help === true) return undefined;
  const text = (flag: string) => {
    const v = values[flag];
    if (v === '') throw new UsageError(`--${flag} must not be empty`);
    return typeof v === 'string' ? v : undefined;
  };
  const table = text('table');
  if (table === undefined) throw new UsageError('kpis dashboard: missing required flag --table');
  const bucket = text('bucket');
  if (bucket !== undefined && (bucket.length < 3 || bucket.length > 63)) {
    throw new UsageError(
      `Expected --bucket to be a bucket name of 3–63 characters, got "${bucket}"`,
    );
  }
  const prefix = text('prefix');
  if (prefix !== undefined && bucket === undefined) {
    throw new UsageError('kpis dashboard: --prefix needs --bucket (it is the pipeline prefix)');
  }
  return {
    table,
    ...(bucket === undefined ? {} : { bucket }),
    prefix: prefix === undefined ? '' : prefix.endsWith('/') ? prefix : `${prefix}/`,
    host: text('host') ?? '127.0.0.1',
    port: integer(text('port'), 'port', 8080, 65_535),
    refresh: integer(text('refresh'), 'refresh', 15, 3_600),
    s3ForcePathStyle: values['s3-force-path-style'] === true,
  };
}

/**
 * `kpis dashboard`: exit 0 after Ctrl-C, 2 for bad flags, 3 when the port
 * is taken or AWS is unreachable. A table that does not exist yet is only a
 * warning: a `watch` started later creates it and the page picks it up.
 */
export async function dashboardCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  let args: DashboardArgs | undefined;
  try {
    args = parseDashboardArgs(argv);
  } catch (error) {
    ctx.printError(
      `kpis: ${classifyError(error).message}\nRun 'pnpm kpis dashboard --help' for usage.\n`,
    );
    return EXIT.usage;
  }
  if (args === undefined) {
    ctx.print(`${DASHBOARD_USAGE}\n`);
    return EXIT.ok;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
    const c = classifyError(error);
    ctx.printError(`kpis dashboard: ${c.message}\n`);
    return c.exitCode;
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
}
