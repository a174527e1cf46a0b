/**
 * The `kpis` commands and their flags, in one table: the parser, the
 * per-command `--help`, the suggestions for misspelt flags and the README's
 * CLI reference all come from it.
 */

/** The CLI's commands. */
export type Command = 'run' | 'watch' | 'local' | 'status' | 'dashboard' | 'generate' | 'emulators';

/** One flag: its name (without `--`), value placeholder (none for a switch) and help line. */
export interface FlagSpec {
  readonly name: string;
  /** Placeholder in the help, e.g. `B`; undefined for a boolean switch. */
  readonly value?: string;
  readonly short?: string;
  readonly help: string;
  /** Continuation lines of the help, indented under the first. */
  readonly more?: readonly string[];
}

/** One command: a one-line summary, the usage line, a description and its flags. */
export interface CommandSpec {
  readonly summary: string;
  readonly usage: string;
  readonly description: readonly string[];
  readonly flags: readonly FlagSpec[];
}

const f = (name: string, value: string | undefined, help: string, ...more: string[]): FlagSpec => ({
  name,
  ...(value === undefined ? {} : { value }),
  help,
  more,
});

const ZONES = [
  f('time-zone', 'Z', 'IANA zone of the KPI date (default UTC)'),
  f('source-time-zone', 'Z', 'zone of listen_time values without an offset (default UTC)'),
  f(
    'unique-listeners',
    'M',
    'exact (default) or hll (HyperLogLog, ≈1.6 % standard error,',
    'constant memory per date × genre; keep one mode per state prefix)',
  ),
];

const WORK = [
  f('concurrency', 'N', 'stream objects read at once (default 2)'),
  f(
    'threads',
    'N',
    'worker threads that parse and aggregate (default: one per core;',
    '0 = main thread only)',
  ),
];

const OUTPUTS = [
  f('summary-json', 'FILE', 'also write the run summary as JSON'),
  f('alert-webhook', 'URL', 'POST a JSON alert for every failure and every quarantined file'),
];

const PATH_STYLE = f(
  's3-force-path-style',
  undefined,
  'path-style S3 URLs (needed by s3rver, MinIO…)',
);

const S3_RUN = [
  f('bucket', 'B', 'bucket with songs/, users/, streams/ below --prefix (required)'),
  f('prefix', 'P', "key prefix above the dataset folders (default '')"),
  f('table', 'T', 'DynamoDB table, created if missing (required)'),
  f('archive-bucket', 'A', 'bucket for archived stream objects (default: --bucket)'),
  f('archive-prefix', 'P', 'prefix of archived objects (default archive/)'),
  f(
    'reference-cache',
    'DIR',
    'keep the songs/users tables in DIR between runs (binary, keyed by the',
    "objects' keys, ETags and sizes): unchanged reference data is not parsed",
    'again; its rejected rows still reach the dead letter',
  ),
  ...ZONES,
  ...WORK,
  f('timeout', 'SECONDS', 'a pass fails (RUN_TIMEOUT) when not done in this time (default: none)'),
  f(
    'stall-timeout',
    'SECONDS',
    'a pass fails (RUN_STALLED, naming what it waits on) after this long',
    'without progress (default 300)',
  ),
  PATH_STYLE,
  ...OUTPUTS,
];

/** Flags every command takes. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  f('log-format', 'F', 'human (default on a terminal) or json (default otherwise)'),
  {
    name: 'verbose',
    short: 'v',
    help: 'more detail: debug logs; watch prints the full summary of every pass',
  },
  { name: 'help', short: 'h', help: 'show this help' },
];

/** Every command, in the order `kpis --help` lists them. */
export const COMMANDS: { readonly [C in Command]: CommandSpec } = {
  run: {
    summary: 'One pass over s3://B/P{songs,users,streams}/ into the DynamoDB table T',
    usage: 'kpis run --bucket B --table T [flags]',
    description: [
      'Loads the reference data, commits every stream object exactly once, archives',
      'it, and quarantines files that can never be processed (empty, or missing',
      'required columns) to rejected/ with a report. Writes a run record for',
      '`kpis status`. Ctrl-C aborts safely: committed objects stay committed.',
    ],
    flags: S3_RUN,
  },
  watch: {
    summary: 'Like run, every --interval seconds until Ctrl-C',
    usage: 'kpis watch --bucket B --table T [--interval SECONDS] [flags]',
    description: [
      'Prints one timestamped line per pass (-v: the full summary). The first',
      'Ctrl-C lets the current pass finish its commits and stops (exit 130); a',
      'second one aborts it.',
    ],
    flags: [...S3_RUN, f('interval', 'SECONDS', 'seconds between passes (default 60)')],
  },
  local: {
    summary: 'The same pipeline on a local folder → NDJSON, one KPI item per line',
    usage: 'kpis local --input DIR --out FILE|- [flags]',
    description: [
      'DIR is laid out like the bucket: songs.csv or songs/, users.csv or users/,',
      'streams/. Paths are relative to the current folder.',
    ],
    flags: [
      f('input', 'DIR', 'folder laid out like the bucket (required)'),
      f('out', 'FILE|-', "NDJSON output, '-' for stdout (required; its folder must exist)"),
      f(
        'dead-letter',
        'FILE',
        'rejected rows, NDJSON, written only if a row is rejected (default',
        '<out>.dead-letter.ndjson; with --out -, a file in the OS temp folder)',
      ),
      f(
        'reference-cache',
        'DIR',
        'keep the songs/users tables in DIR between runs (binary, keyed by the',
        "files' path, size and mtime): unchanged reference data is not parsed",
        'again; its rejected rows still reach the dead letter',
      ),
      ...ZONES,
      ...WORK,
      ...OUTPUTS,
    ],
  },
  status: {
    summary: 'What is pending, committed, quarantined, dead-lettered; the last runs',
    usage: 'kpis status --bucket B --table T [flags]',
    description: [
      'Reads the stores only (S3 listings, run records, the table’s versions), so',
      'it works from anywhere, while runs go on.',
    ],
    flags: [
      f('bucket', 'B', 'the bucket given to run/watch (required)'),
      f('prefix', 'P', "key prefix above the dataset folders (default '')"),
      f('table', 'T', 'the KPI table (required)'),
      f('runs', 'N', 'newest run records shown (default 10)'),
      f('json', undefined, 'print the status as JSON'),
      PATH_STYLE,
    ],
  },
  dashboard: {
    summary: 'A page with the KPIs and the pipeline’s health, on 127.0.0.1 until Ctrl-C',
    usage: 'kpis dashboard --table T [--bucket B [--prefix P]] [flags]',
    description: [
      'Reads only (the table; with --bucket the run records, listings and',
      'rejected reports). A table that does not exist yet is only a warning.',
    ],
    flags: [
      f('table', 'T', 'DynamoDB table written by run/watch (required)'),
      f('bucket', 'B', 'bucket of run/watch: adds runs, pending, quarantined, dead letter'),
      f('prefix', 'P', "prefix of run/watch (default ''; needs --bucket)"),
      f('port', 'N', 'port (default 8080; 0 picks a free one)'),
      f('host', 'H', 'interface (default 127.0.0.1: this machine only)'),
      f('refresh', 'SECONDS', 'the page’s refresh interval (default 15; 0: button only)'),
      PATH_STYLE,
    ],
  },
  generate: {
    summary: 'Write a synthetic dataset (optionally upload it to S3)',
    usage: 'kpis generate --out DIR [flags]',
    description: ['Songs in the Spotify tracks shape, users, and stream files with dirty rows.'],
    flags: [
      f('out', 'DIR', 'output folder, created if missing (required)'),
      f('rows', 'N', 'stream rows in total (default 100000)'),
      f('files', 'N', 'stream files (default 4)'),
      f('days', 'N', 'days covered (default 7)'),
      f('seed', 'N', 'PRNG seed (default 42)'),
      f('dirty', 'RATE', 'fraction of dirty stream rows, 0–1 (default 0.01)'),
      f('gzip', undefined, 'gzip every file'),
      f('bucket', 'B', 'also upload to s3://B/P'),
      f('prefix', 'P', 'upload prefix (needs --bucket)'),
      PATH_STYLE,
    ],
  },
  emulators: {
    summary: 'Local S3 (s3rver) and DynamoDB (dynalite) on 127.0.0.1 until Ctrl-C',
    usage: 'kpis emulators [--bucket B] [--s3-port N] [--dynamodb-port N] [flags]',
    description: [
      'Prints the export lines that point the AWS SDK (and every kpis command) at',
      'them. Data lives in memory (DynamoDB) and a temporary folder (S3, or --dir)',
      'and is gone after Ctrl-C.',
    ],
    flags: [
      f('bucket', 'B', 'create this bucket (comma-separated for several)'),
      f('s3-port', 'N', 'S3 port (default: a free port)'),
      f('dynamodb-port', 'N', 'DynamoDB port (default: a free port)'),
      f('dir', 'DIR', 'keep the S3 objects in DIR (default: a temporary folder)'),
    ],
  },
};

/** Environment and exit codes, shown by `kpis --help`. */
export const FOOTER: readonly string[] = [
  'Endpoints, region and credentials come from the AWS SDK environment',
  '(AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION, AWS_PROFILE,',
  'AWS_ACCESS_KEY_ID…). Log level: LOG_LEVEL=debug|info|warn|error|silent (default info).',
  '',
  'Exit codes:',
  '  0    done: every object committed or quarantined',
  '  1    finished, but something failed and is left for the next run',
  '  2    bad flags or usage',
  '  3    setup: missing bucket, table, input or output folder, no region,',
  '       unreachable endpoint or rejected credentials',
  '  130  stopped by Ctrl-C or SIGTERM (dashboard and emulators, which run until',
  '       Ctrl-C, exit 0 then)',
];
