/**
 * The tasks of a pool, each under its deadline. Calls wait here for a free
 * thread (so a task's deadline starts when it starts, not while it queues);
 * a task that outlives `timeoutMs` is aborted — piscina stops its thread and
 * starts a fresh one — and fails with a {@link PoolTaskTimeoutError} naming it.
 */
import pLimit from 'p-limit';
import { PoolTaskTimeoutError } from '../../errors.js';

/** The pool's calls, queued or running. */
export interface PoolTasks {
  /**
   * Runs `work` once a thread is free, with a signal that aborts on the
   * caller's `signal` or at the deadline. An abort while queued rejects at once.
   */
  run<T>(
    name: string,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  /** Names of the calls not settled (queued or running), oldest first. */
  pending(): string[];
}

/** Tasks on `threads` threads, with a deadline of `timeoutMs` each. */
export function poolTasks(threads: number, timeoutMs: number): PoolTasks {
  const slots = pLimit(threads);
  const inFlight = new Map<number, string>();
  let next = 0;

  async function timed<T>(
    name: string,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    signal?.throwIfAborted();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      return await work(
        signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]),
      );
    } catch (error) {
      if (deadline.signal.aborted && !(signal?.aborted ?? false)) {
        throw new PoolTaskTimeoutError(name, timeoutMs, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    run<T>(
      name: string,
      signal: AbortSignal | undefined,
      work: (signal: AbortSignal) => Promise<T>,
    ): Promise<T> {
      const id = next++;
      inFlight.set(id, name);
      return new Promise<T>((resolve, reject) => {
        let started = false;
        const onAbort = () => {
          if (!started) reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        void slots(async () => {
          started = true;
          signal?.removeEventListener('abort', onAbort);
          // Given up while queued: it was rejected already.
          if (signal?.aborted) return;
          await timed(name, signal, work).then(resolve, reject);
        }).finally(() => inFlight.delete(id));
      }).finally(() => inFlight.delete(id));
    },
    pending: () => [...inFlight.values()],
  };
}
