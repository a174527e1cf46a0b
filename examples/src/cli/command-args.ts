/**
 * The typed arguments of each `kpis` command from its parsed flag values:
 * defaults, ranges and names checked in the CLI's words (`--table`, not
 * `tableName`), paths resolved against the caller's folder.
 */
import type { AggregationArgs, CliArgs, Command, CommonArgs } from './args.js';
import { UsageError } from './errors.js';
import {
  bucketName,
  folder,
  integer,
  optional,
  port,
  rate,
  required,
  tableName,
  threadsOf,
  uniqueMode,
  url,
  type Values,
  zone,
} from './flag-values.js';
import { callerPath } from './paths.js';

function commonOf(values: Values): CommonArgs {
  const format = values['log-format'];
  if (format !== undefined && format !== 'human' && format !== 'json') {
    throw new UsageError(`Expected --log-format to be human or json, got "${String(format)}"`);
  }
  return {
    ...(format === undefined ? {} : { logFormat: format }),
    verbose: values.verbose === true,
  };
}

/**
 * An optional `--bucket` and the `--prefix` in it, which needs it (`prefixIs`
 * says what the prefix is, for the message).
 */
function optionalBucket(
  cmd: Command,
  values: Values,
  prefixIs: string,
): { bucket?: string; prefix: string } {
  const bucket = optional(values, 'bucket');
  if (bucket === undefined && values.prefix !== undefined) {
    throw new UsageError(`kpis ${cmd}: --prefix needs --bucket (it is the ${prefixIs})`);
  }
  return {
    ...(bucket === undefined ? {} : { bucket: bucketName(bucket, 'bucket') }),
    prefix: folder(values, 'prefix', ''),
  };
}

/** The required `--bucket` and `--table` of a pipeline, and its `--prefix`. */
function pipelineStores(
  cmd: Command,
  values: Values,
): { bucket: string; prefix: string; table: string } {
  return {
    bucket: bucketName(required(values, 'bucket', cmd), 'bucket'),
    prefix: folder(values, 'prefix', ''),
    table: tableName(required(values, 'table', cmd)),
  };
}

const pathOf = (p: string | undefined) => (p === undefined ? undefined : callerPath(p));

/** The aggregation and report flags of `run`, `watch` and `local`. */
function aggregationOf(values: Values): AggregationArgs {
  const referenceCache = pathOf(optional(values, 'reference-cache'));
  const summaryJson = pathOf(optional(values, 'summary-json'));
  const alertWebhook = url(values, 'alert-webhook');
  return {
    timeZone: zone(values, 'time-zone'),
    sourceTimeZone: zone(values, 'source-time-zone'),
    uniqueListeners: uniqueMode(values),
    concurrency: integer(values, 'concurrency', 2, 1, 64),
    ...threadsOf(values),
    ...(referenceCache === undefined ? {} : { referenceCache }),
    ...(summaryJson === undefined ? {} : { summaryJson }),
    ...(alertWebhook === undefined ? {} : { alertWebhook }),
  };
}

/** The typed arguments of `cmd` from its parsed flag values. @throws UsageError */
export function argsOf(cmd: Command, values: Values): CliArgs {
  const common = commonOf(values);
  // What every command that talks to S3 takes.
  const s3Common = { ...common, s3ForcePathStyle: values['s3-force-path-style'] === true };
  switch (cmd) {
    case 'run':
    case 'watch': {
      const archiveBucket = optional(values, 'archive-bucket');
      return {
        command: cmd,
        ...pipelineStores(cmd, values),
        ...(archiveBucket === undefined
          ? {}
          : { archiveBucket: bucketName(archiveBucket, 'archive-bucket') }),
        archivePrefix: folder(values, 'archive-prefix', 'archive/'),
        ...aggregationOf(values),
        interval: integer(values, 'interval', 60, 1),
        ...(values.timeout === undefined
          ? {}
          : { timeout: integer(values, 'timeout', 0, 1, 2_147_483) }),
        stallTimeout: integer(values, 'stall-timeout', 300, 1, 2_147_483),
        ...s3Common,
      };
    }
    case 'local': {
      const deadLetter = pathOf(optional(values, 'dead-letter'));
      return {
        command: cmd,
        input: callerPath(required(values, 'input', cmd)),
        out: callerPath(required(values, 'out', cmd)),
        ...(deadLetter === undefined ? {} : { deadLetter }),
        ...aggregationOf(values),
        ...common,
      };
    }
    case 'status':
      return {
        command: cmd,
        ...pipelineStores(cmd, values),
        runs: integer(values, 'runs', 10, 1, 1000),
        json: values.json === true,
        ...s3Common,
      };
    case 'dashboard':
      return {
        command: cmd,
        ...optionalBucket(cmd, values, 'pipeline prefix'),
        table: tableName(required(values, 'table', cmd)),
        host: optional(values, 'host') ?? '127.0.0.1',
        port: integer(values, 'port', 8080, 0, 65_535),
        refresh: integer(values, 'refresh', 15, 0, 3_600),
        ...s3Common,
      };
    case 'generate':
      return {
        command: cmd,
        ...optionalBucket(cmd, values, 'upload prefix'),
        out: callerPath(required(values, 'out', cmd)),
        rows: integer(values, 'rows', 100_000, 0),
        files: integer(values, 'files', 4, 1),
        days: integer(values, 'days', 7, 1),
        seed: integer(values, 'seed', 42, 0),
        dirty: rate(values, 'dirty', 0.01),
        gzip: values.gzip === true,
        ...s3Common,
      };
    case 'emulators': {
      const dir = pathOf(optional(values, 'dir'));
      const buckets = (optional(values, 'bucket') ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== '')
        .map((b) => bucketName(b, 'bucket'));
      return {
        command: cmd,
        buckets,
        s3Port: port(values, 's3-port'),
        dynamodbPort: port(values, 'dynamodb-port'),
        ...(dir === undefined ? {} : { dir }),
        ...common,
      };
    }
  }
}
