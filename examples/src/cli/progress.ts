/**
 * A progress bar on an interactive terminal (cli-progress, on stderr) for
 * long runs; nothing elsewhere (logs take over).
 */
import cliProgress from 'cli-progress';

/** Progress of one run. */
export interface Progress {
  /** Sets or raises the number of objects expected. */
  setTotal(total: number): void;
  /** One object read (or failed). */
  read(id: string): void;
  /** One object finished (committed, archived, rejected or failed). */
  done(id: string): void;
  stop(): void;
}

const NONE: Progress = {
  setTotal: () => {},
  read: () => {},
  done: () => {},
  stop: () => {},
};

/** A bar when `enabled` (default: stderr is a TTY), else a no-op. */
export function createProgress(enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {value}/{total} objects read | {done} done | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const read = new Set<string>();
  const done = new Set<string>();
  let total = 0;
  bar.start(0, 0, { done: 0 });
  return {
    setTotal(n) {
      total = Math.max(total, n);
      bar.setTotal(total);
    },
    read(id) {
      read.add(id);
      if (read.size > total) this.setTotal(read.size);
      bar.update(read.size, { done: done.size });
    },
    done(id) {
      done.add(id);
      read.add(id);
      if (read.size > total) this.setTotal(read.size);
      bar.update(read.size, { done: done.size });
    },
    stop() {
      bar.stop();
    },
  };
}
