/**
 * A run's watchdog: when nothing moves for `stallTimeoutMs` — no row or
 * byte read, no request answered, no object or commit done — the run is
 * stalled: it aborts, and fails with a {@link RunStalledError} naming what
 * it was waiting on (objects in flight, pool tasks, open requests).
 */
import type { RunRequests } from './requests.js';

/** What a stalled run was waiting on. */
export interface StallReport {
  readonly objects: readonly string[];
  readonly poolTasks: readonly string[];
  readonly requests: readonly string[];
}

/** Nothing progressed for `stallTimeoutMs`. */
export class RunStalledError extends Error {
  readonly code = 'RUN_STALLED';
  readonly waitingOn: StallReport;
  constructor(stallTimeoutMs: number, waitingOn: StallReport, options?: { cause?: unknown }) {
    const list = (xs: readonly string[]) => (xs.length === 0 ? 'none' : xs.join(', '));
    super(
      `runKpis: no progress for stallTimeoutMs ${stallTimeoutMs}; waiting on objects ${list(waitingOn.objects)}; pool tasks ${list(waitingOn.poolTasks)}; open requests ${list(waitingOn.requests)}`,
      options,
    );
    this.name = 'RunStalledError';
    this.waitingOn = waitingOn;
  }
}

/** What the run tells its watchdog. */
export interface RunActivity {
  /** Something moved (an object or a commit done, a pool thread read on). */
  progress(): void;
  /** A counter that grows while work moves (e.g. rows and bytes read here), polled. */
  watchCounter(read: () => number): void;
  /** Where the names of the pool's pending tasks come from, once there is a pool. */
  watchPool(pending: () => readonly string[]): void;
}

/** A running watchdog. */
export interface Watchdog {
  readonly activity: RunActivity;
  /** Aborts when the run stalled (or `parent` aborted). */
  readonly signal: AbortSignal;
  /** Resolves with the stall error once the run stalled. */
  readonly stalled: Promise<RunStalledError>;
  stop(): void;
}

/** Starts watching; `objects` and `requests` are read when the run stalls. */
export function startWatchdog(o: {
  readonly stallTimeoutMs: number;
  readonly parent: AbortSignal | undefined;
  readonly objects: ReadonlySet<string>;
  readonly requests: () => RunRequests | undefined;
}): Watchdog {
  const controller = new AbortController();
  const counters: (() => number)[] = [];
  let pool: (() => readonly string[]) | undefined;
  let last = performance.now();
  let seen = 0;
  let fire!: (error: RunStalledError) => void;
  const stalled = new Promise<RunStalledError>((resolve) => {
    fire = resolve;
  });
  const check = () => {
    const total = counters.reduce((n, read) => n + read(), 0);
    if (total !== seen) {
      seen = total;
      last = performance.now();
      return;
    }
    if (performance.now() - last < o.stallTimeoutMs) return;
    clearInterval(timer);
    const error = new RunStalledError(o.stallTimeoutMs, {
      objects: [...o.objects],
      poolTasks: [...(pool?.() ?? [])],
      requests: o.requests()?.open() ?? [],
    });
    fire(error);
    controller.abort(error);
  };
  // Kept referenced: a stalled run must not let the process end with its promise pending.
  const timer = setInterval(check, Math.max(10, Math.min(1000, Math.floor(o.stallTimeoutMs / 4))));
  return {
    activity: {
      progress: () => {
        last = performance.now();
      },
      watchCounter: (read) => {
        seen += read();
        counters.push(read);
      },
      watchPool: (pending) => {
        pool = pending;
      },
    },
    signal:
      o.parent === undefined ? controller.signal : AbortSignal.any([o.parent, controller.signal]),
    stalled,
    stop: () => clearInterval(timer),
  };
}
