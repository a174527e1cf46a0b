/**
 * Logs on stderr (pino), so stdout stays free for the summary or `--out -`:
 * one readable line per event on a terminal (`human`), JSON lines otherwise
 * (`json`, for log collectors). Level from `LOG_LEVEL` (default `info`,
 * `debug` with `-v`).
 */
import { writeSync } from 'node:fs';
import { destination, type Logger as PinoLogger, pino } from 'pino';

/** The CLI's logger type. */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Default: `LOG_LEVEL`, else `info` (`debug` when `verbose`). */
  readonly level?: string | undefined;
  /** Default: `human` when stderr is a terminal (`terminal`), else `json`. */
  readonly format?: 'human' | 'json' | undefined;
  /** Whether stderr is a terminal. Default: `process.stderr.isTTY`. */
  readonly terminal?: boolean;
  readonly verbose?: boolean;
  /** Where human lines go. Default: stderr. */
  readonly write?: (line: string) => void;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function field(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** One JSON log line as `HH:MM:SS LEVEL message key=value …`. */
export function humanLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now());
  const level = NAMES[record.level as number] ?? String(record.level);
  const extra = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${field(v)}`)
    .join(' ');
  const msg = typeof record.msg === 'string' ? record.msg : '';
  return `${time.toISOString().slice(11, 19)} ${level.padEnd(5)} ${msg}${extra === '' ? '' : `  ${extra}`}\n`;
}

/** Creates the logger; an unknown `LOG_LEVEL` falls back to `info`. */
export function createLogger(options: CreateLoggerOptions | string = {}): Logger {
  const o: CreateLoggerOptions = typeof options === 'string' ? { level: options } : options;
  const requested = o.level ?? process.env.LOG_LEVEL;
  const level =
    requested !== undefined && LEVELS.has(requested) ? requested : o.verbose ? 'debug' : 'info';
  const format = o.format ?? ((o.terminal ?? process.stderr.isTTY) === true ? 'human' : 'json');
  if (format === 'json') {
    // Synchronous: the CLI may exit right after the last line.
    return pino({ level, base: { pid: process.pid } }, destination({ fd: 2, sync: true }));
  }
  const write = o.write ?? ((line: string) => writeSync(2, line));
  return pino({ level, base: null }, { write: (chunk: string) => write(humanLine(chunk)) });
}
