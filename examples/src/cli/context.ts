/**
 * What every command gets: output channels, the logger, and Ctrl-C handling.
 */
import { type Alert, alertOf, postAlert } from './alert-webhook.js';
import type { Logger } from './logger.js';

/** The environment a command runs in. */
export interface CliContext {
  /** Writes human-readable output (the summary table). */
  readonly print: (text: string) => void;
  /** Writes to stderr (one-line errors, output moved off stdout). */
  readonly printError: (text: string) => void;
  readonly logger: Logger;
  /** `-v`: more detail (watch prints every pass's full summary). */
  readonly verbose?: boolean;
  /** Where the progress bar goes when it is a terminal. Default: stderr. */
  readonly progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Ctrl-C / SIGTERM handling: the first signal asks to stop (`stopping`
 * aborts, the command finishes its current step), the second aborts the
 * work itself (`hard` aborts). Handlers are removed by `dispose`.
 */
export interface Interrupts {
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly stopping: AbortSignal;
  /** Aborted on the second. */
  readonly hard: AbortSignal;
  dispose(): void;
}

/** Installs the SIGINT/SIGTERM handlers (`quiet`: no log line on the first signal). */
export function handleInterrupts(logger: Logger, options: { quiet?: boolean } = {}): Interrupts {
  const stopping = new AbortController();
  const hard = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping.signal.aborted) {
      if (options.quiet !== true) {
        logger.warn({ signal }, 'stopping after the current step (send again to abort now)');
      }
      stopping.abort(new Error(`interrupted by ${signal}`));
    } else {
      logger.warn({ signal }, 'aborting');
      hard.abort(new Error(`aborted by ${signal}`));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopping: stopping.signal,
    hard: hard.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * An alert function for `--alert-webhook` (a no-op without it): logs the
 * failure, posts it, and logs a failed post.
 */
export function alerter(
  command: string,
  url: string | undefined,
  logger: Logger,
): (error: unknown, where: Parameters<typeof alertOf>[2]) => Promise<void> {
  return async (error, where) => {
    const alert: Alert = alertOf(command, error, where);
    if (alert.what === 'rejected') {
      logger.warn({ alert }, `quarantined ${alert.object}: ${alert.error.message}`);
    } else {
      logger.error({ alert }, `${alert.what} failed: ${alert.error.message}`);
    }
    if (url === undefined) return;
    const problem = await postAlert(url, alert);
    if (problem !== undefined) logger.warn({ url }, problem);
  };
}
