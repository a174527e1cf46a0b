/**
 * Command-line parsing of the `kpis` CLI with `node:util` `parseArgs`
 * (strict): unknown flags, missing values and bad numbers become a
 * {@link UsageError} naming the flag (exit code 2).
 */
import { parseArgs } from 'node:util';
import { isValidTimeZone } from '@streamkpi/core';
import { UsageError } from './errors.js';

/** The CLI's commands. */
export type Command = 'run' | 'watch' | 'local' | 'status' | 'generate';

/** Flags of `run` (and `watch`). */
export interface RunArgs {
  readonly command: 'run' | 'watch';
  readonly bucket: string;
  readonly prefix: string;
  readonly table: string;
  readonly archiveBucket?: string;
  readonly archivePrefix: string;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners: 'exact' | 'hll';
  readonly concurrency: number;
  /** Worker threads (0: main thread only); undefined: one per core. */
  readonly threads?: number;
  readonly s3ForcePathStyle: boolean;
  readonly summaryJson?: string;
  readonly alertWebhook?: string;
  /** Seconds between passes (`watch` only). */
  readonly interval: number;
  /** A pass's overall deadline, in seconds (`runKpis` `timeoutMs`); undefined: none. */
  readonly timeout?: number;
  /** Seconds without progress before a pass fails (`runKpis` `stallTimeoutMs`). */
  readonly stallTimeout: number;
}

/** Flags of `local`. */
export interface LocalArgs {
  readonly command: 'local';
  readonly input: string;
  /** A file path, or `-` for stdout. */
  readonly out: string;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners: 'exact' | 'hll';
  readonly concurrency: number;
  /** Worker threads (0: main thread only); undefined: one per core. */
  readonly threads?: number;
  readonly deadLetter: string;
  readonly summaryJson?: string;
  readonly alertWebhook?: string;
}

/** Flags of `status`. */
export interface StatusArgs {
  readonly command: 'status';
  readonly bucket: string;
  readonly prefix: string;
  readonly table: string;
  /** Newest run records shown. */
  readonly runs: number;
  readonly json: boolean;
  readonly s3ForcePathStyle: boolean;
}

/** Flags of `generate`. */
export interface GenerateArgs {
  readonly command: 'generate';
  readonly out: string;
  readonly rows: number;
  readonly files: number;
  readonly days: number;
  readonly seed: number;
  readonly dirty: number;
  readonly gzip: boolean;
  readonly bucket?: string;
  readonly prefix: string;
  readonly s3ForcePathStyle: boolean;
}

/** Parsed command line. */
export type CliArgs =
  | RunArgs
  | LocalArgs
  | StatusArgs
  | GenerateArgs
  | { readonly command: 'help'; readonly topic?: Command };

/** Usage text, printed by `--help` and after a usage error. */
export const USAGE = `Usage: pnpm kpis <command> [flags]

Commands:
  run       One pass over s3://BUCKET/PREFIX{songs,users,streams}/ → DynamoDB table
  watch     Like run, every --interval seconds until Ctrl-C (stops after the current commit)
  local     The same pipeline on a local folder → NDJSON, one KPI item per line
  generate  Write a synthetic dataset (optionally upload it to S3)
  dashboard Serve a page with the KPIs and the pipeline's health (see dashboard --help)

run / watch:
  --bucket B              bucket with songs/, users/, streams/ below --prefix (required)
  --prefix P              key prefix above the dataset folders (default '')
  --table T               DynamoDB table, created if missing (required)
  --archive-bucket A      bucket for archived stream objects (default: --bucket)
  --archive-prefix P      prefix of archived objects (default archive/)
  --time-zone Z           IANA zone of the KPI date (default UTC)
  --source-time-zone Z    zone of listen_time values without an offset (default UTC)
  --unique-listeners M    exact (default) or hll (HyperLogLog, ≈1.6 % standard error,
                          constant memory per date × genre; keep one mode per state prefix)
  --concurrency N         stream objects read at once (default 2)
  --threads N             worker threads that parse and aggregate (default: one per core;
                          0 = main thread only)
  --s3-force-path-style   path-style S3 URLs (needed by s3rver, MinIO…)
  --summary-json FILE     also write the run summary as JSON
  --alert-webhook URL     POST a JSON alert on every failure
  --interval SECONDS      (watch) seconds between passes (default 60)
  --timeout SECONDS       a pass fails (RUN_TIMEOUT) when not done in this time (default: none)
  --stall-timeout SECONDS a pass fails (RUN_STALLED, naming what it waits on) after this
                          long without progress (default 300)

local:
  --input DIR             folder laid out like the bucket (required)
  --out FILE|-            NDJSON output, '-' for stdout (required)
  --dead-letter FILE      rejected rows, NDJSON (default <out>.dead-letter.ndjson,
                          or ./kpis-dead-letter.ndjson with --out -)
  --time-zone Z, --source-time-zone Z, --unique-listeners M, --concurrency N, --threads N,
  --summary-json FILE,
  --alert-webhook URL

generate:
  --out DIR               output folder (required)
  --rows N                stream rows in total (default 100000)
  --files N               stream files (default 4)
  --days N                days covered (default 7)
  --seed N                PRNG seed (default 42)
  --dirty RATE            fraction of dirty stream rows, 0–1 (default 0.01)
  --gzip                  gzip every file
  --bucket B [--prefix P] [--s3-force-path-style]   also upload to s3://B/P

Endpoints, region and credentials come from the AWS SDK environment
(AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID…).
Logs: JSON lines on stderr (LOG_LEVEL=debug|info|warn|error|silent, default info).
Exit codes: 0 ok · 1 finished with failures · 2 bad flags · 3 missing bucket/table/input,
unreachable endpoint or bad credentials · 130 interrupted.`;

const S3_FLAGS = {
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  table: { type: 'string' },
  'archive-bucket': { type: 'string' },
  'archive-prefix': { type: 'string' },
  'time-zone': { type: 'string' },
  'source-time-zone': { type: 'string' },
  'unique-listeners': { type: 'string' },
  concurrency: { type: 'string' },
  threads: { type: 'string' },
  's3-force-path-style': { type: 'boolean' },
  'summary-json': { type: 'string' },
  'alert-webhook': { type: 'string' },
  timeout: { type: 'string' },
  'stall-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FLAGS = {
  run: S3_FLAGS,
  watch: { ...S3_FLAGS, interval: { type: 'string' } },
  local: {
    input: { type: 'string' },
    out: { type: 'string' },
    'dead-letter': { type: 'string' },
    'time-zone': { type: 'string' },
    'source-time-zone': { type: 'string' },
    'unique-listeners': { type: 'string' },
    concurrency: { type: 'string' },
    threads: { type: 'string' },
    'summary-json': { type: 'string' },
    'alert-webhook': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  status: {
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    table: { type: 'string' },
    runs: { type: 'string' },
    json: { type: 'boolean' },
    's3-force-path-style': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  generate: {
    out: { type: 'string' },
    rows: { type: 'string' },
    files: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    dirty: { type: 'string' },
    gzip: { type: 'boolean' },
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    's3-force-path-style': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
} as const;

type Values = Record<string, string | boolean | undefined>;

function required(values: Values, flag: string, command: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') {
    throw new UsageError(`kpis ${command}: missing required flag --${flag}`);
  }
  return v;
}

function optional(values: Values, flag: string): string | undefined {
  const v = values[flag];
  if (v === '') throw new UsageError(`--${flag} must not be empty`);
  return typeof v === 'string' ? v : undefined;
}

function integer(
  values: Values,
  flag: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = values[flag];
  if (typeof v !== 'string') return fallback;
  const text = v.replaceAll('_', '');
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Expected --${flag} to be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' and up' : ` to ${max}`}, got "${v}"`,
    );
  }
  return n;
}

function uniqueMode(values: Values): 'exact' | 'hll' {
  const v = values['unique-listeners'];
  if (v === undefined || v === 'exact' || v === 'hll') return v ?? 'exact';
  throw new UsageError(`Expected --unique-listeners to be exact or hll, got "${String(v)}"`);
}

function threadsOf(values: Values): { threads?: number } {
  return values.threads === undefined ? {} : { threads: integer(values, 'threads', 0, 0, 256) };
}

function rate(values: Values, flag: string, fallback: number): number {
  const v = values[flag];
  if (typeof v !== 'string') return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`Expected --${flag} to be a number from 0 to 1, got "${v}"`);
  }
  return n;
}

function zone(values: Values, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string') return 'UTC';
  if (!isValidTimeZone(v)) {
    throw new UsageError(
      `Expected --${flag} to be an IANA time zone such as UTC or Europe/Paris, got "${v}"`,
    );
  }
  return v;
}

/** `incoming` → `incoming/`: the runner's prefixes are folders. */
function folder(values: Values, flag: string, fallback: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') return fallback;
  return v.endsWith('/') ? v : `${v}/`;
}

function url(values: Values, flag: string): string | undefined {
  const v = optional(values, flag);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new UsageError(`Expected --${flag} to be an http(s) URL, got "${v}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`Expected --${flag} to be an http(s) URL, got "${v}"`);
  }
  return v;
}

function bucketName(value: string, flag: string): string {
  if (value.length < 3 || value.length > 63) {
    throw new UsageError(
      `Expected --${flag} to be a bucket name of 3–63 characters, got "${value}"`,
    );
  }
  return value;
}

/** Parses `argv` (without `node` and the script). @throws UsageError */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { command: 'help' };
  }
  if (!(command in FLAGS)) {
    throw new UsageError(
      `Unknown command "${command}" (expected run, watch, local, generate, status or dashboard)`,
    );
  }
  const cmd = command as Command;
  let values: Values;
  try {
    const parsed = parseArgs({
      args: [...rest],
      options: FLAGS[cmd],
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values as Values;
  } catch (error) {
    throw new UsageError(`kpis ${cmd}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (values.help === true) return { command: 'help', topic: cmd };
  const summaryJson = optional(values, 'summary-json');
  const alertWebhook = url(values, 'alert-webhook');
  const common = {
    ...(summaryJson === undefined ? {} : { summaryJson }),
    ...(alertWebhook === undefined ? {} : { alertWebhook }),
  };
  switch (cmd) {
    case 'run':
    case 'watch': {
      const archiveBucket = optional(values, 'archive-bucket');
      return {
        command: cmd,
        bucket: bucketName(required(values, 'bucket', cmd), 'bucket'),
        prefix: folder(values, 'prefix', ''),
        table: required(values, 'table', cmd),
        ...(archiveBucket === undefined
          ? {}
          : { archiveBucket: bucketName(archiveBucket, 'archive-bucket') }),
        archivePrefix: folder(values, 'archive-prefix', 'archive/'),
        timeZone: zone(values, 'time-zone'),
        sourceTimeZone: zone(values, 'source-time-zone'),
        uniqueListeners: uniqueMode(values),
        concurrency: integer(values, 'concurrency', 2, 1, 64),
        ...threadsOf(values),
        s3ForcePathStyle: values['s3-force-path-style'] === true,
        interval: integer(values, 'interval', 60, 1),
        ...(values.timeout === undefined
          ? {}
          : { timeout: integer(values, 'timeout', 0, 1, 2_147_483) }),
        stallTimeout: integer(values, 'stall-timeout', 300, 1, 2_147_483),
        ...common,
      };
    }
    case 'local': {
      const out = required(values, 'out', cmd);
      return {
        command: cmd,
        input: required(values, 'input', cmd),
        out,
        deadLetter:
          optional(values, 'dead-letter') ??
          (out === '-' ? 'kpis-dead-letter.ndjson' : `${out}.dead-letter.ndjson`),
        timeZone: zone(values, 'time-zone'),
        sourceTimeZone: zone(values, 'source-time-zone'),
        uniqueListeners: uniqueMode(values),
        concurrency: integer(values, 'concurrency', 2, 1, 64),
        ...threadsOf(values),
        ...common,
      };
    }
    case 'status':
      return {
        command: cmd,
        bucket: bucketName(required(values, 'bucket', cmd), 'bucket'),
        prefix: folder(values, 'prefix', ''),
        table: required(values, 'table', cmd),
        runs: integer(values, 'runs', 10, 1, 1000),
        json: values.json === true,
        s3ForcePathStyle: values['s3-force-path-style'] === true,
      };
    case 'generate': {
      const bucket = optional(values, 'bucket');
      if (bucket === undefined && values.prefix !== undefined) {
        throw new UsageError('kpis generate: --prefix needs --bucket (it is the upload prefix)');
      }
      return {
        command: cmd,
        out: required(values, 'out', cmd),
        rows: integer(values, 'rows', 100_000, 0),
        files: integer(values, 'files', 4, 1),
        days: integer(values, 'days', 7, 1),
        seed: integer(values, 'seed', 42, 0),
        dirty: rate(values, 'dirty', 0.01),
        gzip: values.gzip === true,
        ...(bucket === undefined ? {} : { bucket: bucketName(bucket, 'bucket') }),
        prefix: folder(values, 'prefix', ''),
        s3ForcePathStyle: values['s3-force-path-style'] === true,
      };
    }
  }
}
