/**
 * The bounds of a run, around its body: the overall deadline (`timeoutMs`,
 * see `deadline.ts`), the watchdog (`stallTimeoutMs`, see `watchdog.ts`) and
 * the tracking of the injected clients' requests that feeds both.
 */
import type { AggregatePool, RunMetrics } from '@streamkpi/core';
import { z } from 'zod';
import { tracked, withDeadline } from './deadline.js';
import { type RunRequests, type TrackedClient, trackRequests } from './requests.js';
import { type RunActivity, RunStalledError, startWatchdog } from './watchdog.js';

/** The bounds of a run, options of `runKpis`. */
export const runBoundsShape = {
  /** Overall deadline in ms: past it, requests abort and the run fails with `RunTimeoutError`. */
  timeoutMs: z.number().int().min(1).optional(),
  /**
   * Watchdog, in ms: when no row is read, no request answered and no object
   * or commit done for this long, the run aborts and fails with
   * `RunStalledError` (`RUN_STALLED`) naming what it waited on. Default 300000.
   */
  stallTimeoutMs: z.number().int().min(1).max(2_147_483_647).default(300_000),
  /**
   * Deadline of one object on a pool thread, in ms: past it the object fails
   * with a `PipelineError` `POOL_TASK_TIMEOUT` and the thread is
   * replaced. Default 900000.
   */
  taskTimeoutMs: z.number().int().min(1).max(2_147_483_647).default(900_000),
};

/** What the body of a guarded run reports to its guards. */
export interface RunWatch {
  readonly activity: RunActivity;
  /** `work()` for stream object `key`: named in reports while it runs, progress when it ends. */
  track<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Watches the run's counters (rows and bytes read here) and its pool's tasks. */
  watchRun(metrics: RunMetrics, pool: AggregatePool | undefined): void;
}

/**
 * How long a stalled run waits, once aborted, for its work to unwind before
 * it fails anyway (a wait that ignores the abort must not hold the run).
 */
const UNWIND_MS = 5_000;

/** Runs `body` under the deadline and the watchdog. */
export async function guarded<T>(
  o: { readonly timeoutMs?: number | undefined; readonly stallTimeoutMs: number },
  clients: {
    readonly s3: TrackedClient;
    readonly dynamo: TrackedClient;
    readonly signal: AbortSignal | undefined;
  },
  body: (signal: AbortSignal, watch: RunWatch) => Promise<T>,
): Promise<T> {
  return withDeadline(clients.signal, o.timeoutMs, async (signal, inFlight) => {
    let requests: RunRequests | undefined;
    const dog = startWatchdog({
      stallTimeoutMs: o.stallTimeoutMs,
      parent: signal,
      objects: inFlight,
      requests: () => requests,
    });
    requests = trackRequests(
      [
        { service: 'S3', client: clients.s3 },
        { service: 'DynamoDB', client: clients.dynamo },
      ],
      dog.activity.progress,
    );
    const { activity } = dog;
    const work = body(dog.signal, {
      activity,
      track: async (key, run) => {
        try {
          return await tracked(inFlight, key, run);
        } finally {
          activity.progress();
        }
      },
      watchRun(metrics, pool) {
        activity.watchCounter(() => metrics.rowsRead + metrics.bytesRead);
        if (pool !== undefined) activity.watchPool(pool.pending);
      },
    });
    work.catch(() => undefined);
    const stall = dog.stalled.then(async (error) => {
      let unwound: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        work.catch(() => undefined),
        new Promise((resolve) => {
          unwound = setTimeout(resolve, UNWIND_MS);
        }),
      ]);
      clearTimeout(unwound);
      throw error;
    });
    try {
      return await Promise.race([work, stall]);
    } catch (error) {
      if (dog.signal.reason instanceof RunStalledError && !(signal?.aborted ?? false)) {
        throw dog.signal.reason;
      }
      throw error;
    } finally {
      dog.stop();
      requests.stop();
    }
  });
}
