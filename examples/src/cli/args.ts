/**
 * Command-line parsing of the `kpis` CLI with `node:util` `parseArgs`
 * (strict), driven by the command table in `commands-spec.ts`: unknown
 * flags (with a suggestion), missing values and bad values become a
 * {@link UsageError} naming the flag (exit code 2). Paths come out
 * absolute, resolved against the caller's folder (see `paths.ts`).
 */
import { parseArgs } from 'node:util';
import { argsOf } from './command-args.js';
import { COMMANDS, COMMON_FLAGS, type Command, type FlagSpec } from './commands-spec.js';
import { UsageError } from './errors.js';
import type { Values } from './flag-values.js';
import { closest } from './suggest.js';

export type { Command } from './commands-spec.js';

/** How log lines look: `human` on a terminal, `json` lines otherwise. */
export type LogFormat = 'human' | 'json';

/** Flags every command has. */
export interface CommonArgs {
  /** Undefined: human on a TTY, JSON otherwise. */
  readonly logFormat?: LogFormat;
  readonly verbose: boolean;
}

/** How `run`, `watch` and `local` aggregate, and where they report. */
export interface AggregationArgs {
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners: 'exact' | 'hll';
  readonly concurrency: number;
  /** Worker threads (0: main thread only); undefined: one per core. */
  readonly threads?: number;
  /** Folder keeping the lookup tables between runs (none when absent). */
  readonly referenceCache?: string;
  readonly summaryJson?: string;
  readonly alertWebhook?: string;
}

/** Flags of `run` (and `watch`). */
export interface RunArgs extends CommonArgs, AggregationArgs {
  readonly command: 'run' | 'watch';
  readonly bucket: string;
  readonly prefix: string;
  readonly table: string;
  readonly archiveBucket?: string;
  readonly archivePrefix: string;
  readonly s3ForcePathStyle: boolean;
  /** Seconds between passes (`watch` only). */
  readonly interval: number;
  /** A pass's overall deadline, in seconds (`runKpis` `timeoutMs`); undefined: none. */
  readonly timeout?: number;
  /** Seconds without progress before a pass fails (`runKpis` `stallTimeoutMs`). */
  readonly stallTimeout: number;
}

/** Flags of `local`. */
export interface LocalArgs extends CommonArgs, AggregationArgs {
  readonly command: 'local';
  readonly input: string;
  /** A file path, or `-` for stdout. */
  readonly out: string;
  /** Undefined: `<out>.dead-letter.ndjson`, or a temp file with `--out -`. */
  readonly deadLetter?: string;
}

/** Flags of `status`. */
export interface StatusArgs extends CommonArgs {
  readonly command: 'status';
  readonly bucket: string;
  readonly prefix: string;
  readonly table: string;
  /** Newest run records shown. */
  readonly runs: number;
  readonly json: boolean;
  readonly s3ForcePathStyle: boolean;
}

/** Flags of `dashboard`. */
export interface DashboardArgs extends CommonArgs {
  readonly command: 'dashboard';
  readonly table: string;
  readonly bucket?: string;
  readonly prefix: string;
  readonly host: string;
  readonly port: number;
  /** Seconds between the page's refreshes (0: button only). */
  readonly refresh: number;
  readonly s3ForcePathStyle: boolean;
}

/** Flags of `generate`. */
export interface GenerateArgs extends CommonArgs {
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

/** Flags of `emulators`. */
export interface EmulatorsArgs extends CommonArgs {
  readonly command: 'emulators';
  readonly buckets: readonly string[];
  /** 0: a free port. */
  readonly s3Port: number;
  readonly dynamodbPort: number;
  readonly dir?: string;
}

/** Parsed command line. */
export type CliArgs =
  | RunArgs
  | LocalArgs
  | StatusArgs
  | DashboardArgs
  | GenerateArgs
  | EmulatorsArgs
  | { readonly command: 'help'; readonly topic?: Command }
  | { readonly command: 'version' };

function optionsOf(flags: readonly FlagSpec[]) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const flag of [...flags, ...COMMON_FLAGS]) {
    options[flag.name] = {
      type: flag.value === undefined ? 'boolean' : 'string',
      ...(flag.short === undefined ? {} : { short: flag.short }),
    };
  }
  return options;
}

/** Refuses a flag the command does not have, suggesting the closest one. */
function checkFlags(command: Command, argv: readonly string[]): void {
  const spec = [...COMMANDS[command].flags, ...COMMON_FLAGS];
  const names = spec.map((s) => s.name);
  const shorts = new Set(spec.flatMap((s) => (s.short === undefined ? [] : [s.short])));
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=')[0] ?? '';
      if (names.includes(name)) continue;
      const hint = closest(name, names);
      throw new UsageError(
        `kpis ${command}: unknown flag --${name}${hint === undefined ? '' : ` (did you mean --${hint}?)`}`,
      );
    }
    if (/^-[a-zA-Z]/.test(arg) && ![...arg.slice(1)].every((c) => shorts.has(c))) {
      throw new UsageError(`kpis ${command}: unknown flag ${arg}`);
    }
  }
}

/** `parseArgs`'s own errors, in the CLI's words. */
function parseError(command: Command, error: unknown): UsageError {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  const flag = /'(--?[\w-]+)/.exec(message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    return new UsageError(`kpis ${command}: ${flag} needs a value`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(message)?.[1] ?? '';
    return new UsageError(`kpis ${command}: unexpected argument "${arg}" (flags start with --)`);
  }
  return new UsageError(`kpis ${command}: ${message}`);
}

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

/** Parses `argv` (without `node` and the script). @throws UsageError */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || isHelp(command)) {
    const topic = rest[0];
    return topic !== undefined && topic in COMMANDS
      ? { command: 'help', topic: topic as Command }
      : { command: 'help' };
  }
  if (command === '--version' || command === '-V') return { command: 'version' };
  if (!(command in COMMANDS)) {
    const hint = closest(command, Object.keys(COMMANDS));
    throw new UsageError(
      `Unknown command "${command}"${hint === undefined ? '' : ` (did you mean ${hint}?)`}; commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
  }
  const cmd = command as Command;
  if (rest.some((a) => a === '--help' || a === '-h')) return { command: 'help', topic: cmd };
  checkFlags(cmd, rest);
  let values: Values;
  try {
    values = parseArgs({
      args: [...rest],
      options: optionsOf(COMMANDS[cmd].flags),
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (error) {
    throw parseError(cmd, error);
  }
  return argsOf(cmd, values);
}
