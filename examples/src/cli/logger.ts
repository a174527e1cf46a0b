/**
 * Structured logs: JSON lines on stderr (pino), so stdout stays free for
 * the summary or `--out -`. Level from `LOG_LEVEL` (default `info`).
 */
import { destination, type Logger as PinoLogger, pino } from 'pino';

/** The CLI's logger type. */
export type Logger = PinoLogger;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Creates the logger; an unknown `LOG_LEVEL` falls back to `info`. */
export function createLogger(level = process.env.LOG_LEVEL): Logger {
  return pino(
    {
      level: level !== undefined && LEVELS.has(level) ? level : 'info',
      base: { pid: process.pid },
    },
    // Synchronous: the CLI may exit right after the last line.
    destination({ fd: 2, sync: true }),
  );
}
