/**
 * The tasks of a pool, each under its deadline. Calls wait here for a free
 * thread (so a task's deadline starts when it starts, not while it queues),
 * in call order, except that calls marked `ahead` go before every queued
 * call without the mark; a task that outlives `timeoutMs` is aborted —
 * piscina stops its thread and starts a fresh one — and fails with a
 * `PipelineError` `POOL_TASK_TIMEOUT` naming it.
 */
import PQueue from 'p-queue';
import { PipelineError } from '../../errors.js';

/** A task's body: `started` is called when its thread begins it. */
export type Work<T> = (signal: AbortSignal, started: () => void) => Promise<T>;

/** The pool's calls, queued or running. */
export interface PoolTasks {
  /**
   * Runs `work` once a thread is free, with a signal that aborts on the
   * caller's `signal` or at the deadline. With `fromStart`, the deadline
   * starts when `work` calls `started()` — the thread took the task up (a
   * fresh thread first loads its module and tables, which can take seconds
   * on a loaded machine) — else once a thread is free. With `ahead`, it is
   * queued before the calls without it (after the earlier `ahead` ones).
   * An abort while queued rejects at once.
   */
  run<T>(
    name: string,
    signal: AbortSignal | undefined,
    work: Work<T>,
    fromStart?: boolean,
    ahead?: boolean,
  ): Promise<T>;
  /** Names of the calls not settled (queued or running), oldest first. */
  pending(): string[];
}

/** Tasks on `threads` threads, with a deadline of `timeoutMs` each. */
export function poolTasks(threads: number, timeoutMs: number): PoolTasks {
  // Higher priority first, call order within a priority: `ahead` calls are priority 1.
  const slots = new PQueue({ concurrency: threads });
  const inFlight = new Map<number, string>();
  let next = 0;

  async function timed<T>(
    name: string,
    signal: AbortSignal | undefined,
    work: Work<T>,
    fromStart: boolean,
  ) {
    signal?.throwIfAborted();
    const deadline = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      if (timer === undefined) timer = setTimeout(() => deadline.abort(), timeoutMs);
    };
    if (!fromStart) arm();
    try {
      return await work(
        signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]),
        arm,
      );
    } catch (error) {
      if (deadline.signal.aborted && !(signal?.aborted ?? false)) {
        throw new PipelineError(
          'POOL_TASK_TIMEOUT',
          `${name}: pool task not finished within taskTimeoutMs ${timeoutMs}; its thread was stopped and replaced`,
          { cause: error },
        );
      }
      // Like node:stream/promises, a cancelled call rejects with the signal's reason.
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    run<T>(
      name: string,
      signal: AbortSignal | undefined,
      work: Work<T>,
      fromStart = false,
      ahead = false,
    ) {
      const id = next++;
      inFlight.set(id, name);
      return new Promise<T>((resolve, reject) => {
        // Aborted before the call: the 'abort' event has been and gone.
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        let started = false;
        const onAbort = () => {
          if (!started) reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        void slots.add(
          async () => {
            started = true;
            signal?.removeEventListener('abort', onAbort);
            // Given up while queued: it was rejected already.
            if (signal?.aborted) return;
            await timed(name, signal, work, fromStart).then(resolve, reject);
          },
          { priority: ahead ? 1 : 0 },
        );
      }).finally(() => inFlight.delete(id));
    },
    pending: () => [...inFlight.values()],
  };
}
