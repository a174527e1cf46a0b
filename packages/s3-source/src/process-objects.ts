import pLimit from 'p-limit';
import { z } from 'zod';
import { parseOptions } from './internal/s3-util.js';
import { signalSchema } from './internal/schemas.js';

/** Options of {@link processObjects}. */
export const processObjectsOptionsSchema = z.object({
  /** Objects to process, e.g. {@link listObjects}; pulled only as slots free up. */
  objects: z.custom<AsyncIterable<unknown> | Iterable<unknown>>(
    (v) =>
      typeof v === 'object' && v !== null && (Symbol.asyncIterator in v || Symbol.iterator in v),
    'Expected `objects` to be an iterable or async iterable',
  ),
  /** Objects processed at once. Default 4. */
  concurrency: z.number().int().min(1).default(4),
  /** Work for one object. */
  process: z.custom<
    (object: never, context: { signal: AbortSignal | undefined }) => Promise<unknown>
  >((v) => typeof v === 'function', 'Expected `process` to be a function'),
  /** Stops pulling new objects; in-flight ones get the signal too. */
  signal: signalSchema,
});

/** Options of {@link processObjects}. */
export interface ProcessObjectsOptions<T, R> {
  readonly objects: AsyncIterable<T> | Iterable<T>;
  /** Objects processed at once. Default 4. */
  readonly concurrency?: number;
  readonly process: (object: T, context: { signal: AbortSignal | undefined }) => Promise<R>;
  readonly signal?: AbortSignal;
}

/** The outcome of one object, in completion order. */
export type ProcessOutcome<T, R> =
  | { readonly object: T; readonly ok: true; readonly value: R }
  | { readonly object: T; readonly ok: false; readonly error: unknown };

/**
 * Run `process` over `objects` with at most `concurrency` in flight (p-limit),
 * yielding each outcome as it completes. Backpressure both ways: the next
 * object is pulled from `objects` only when a slot is free, and no new work
 * starts while `concurrency` outcomes wait for the consumer. A failure is an
 * outcome, not an exception, so one bad object does not stop the others.
 */
export async function* processObjects<T, R>(
  options: ProcessObjectsOptions<T, R>,
): AsyncGenerator<ProcessOutcome<T, R>> {
  const o = parseOptions(processObjectsOptionsSchema, options, 'processObjects');
  const signal = o.signal;
  const limit = pLimit(o.concurrency);
  const inFlight = new Set<Promise<ProcessOutcome<T, R>>>();
  const done: ProcessOutcome<T, R>[] = [];

  const start = (object: T): void => {
    const task: Promise<ProcessOutcome<T, R>> = limit(async () => {
      try {
        return { object, ok: true as const, value: await options.process(object, { signal }) };
      } catch (error) {
        return { object, ok: false as const, error };
      }
    }).then((outcome) => {
      inFlight.delete(task);
      done.push(outcome);
      return outcome;
    });
    inFlight.add(task);
  };

  const iterator = toAsyncIterator(options.objects);
  try {
    for (;;) {
      while (done.length > 0) yield done.shift() as ProcessOutcome<T, R>;
      signal?.throwIfAborted();
      if (inFlight.size + done.length >= o.concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      const next = await iterator.next();
      if (next.done === true) break;
      start(next.value);
    }
    while (inFlight.size > 0 || done.length > 0) {
      if (done.length === 0) await Promise.race(inFlight);
      while (done.length > 0) yield done.shift() as ProcessOutcome<T, R>;
    }
  } finally {
    await iterator.return?.();
    // Never leave work running behind the caller's back.
    await Promise.allSettled(inFlight);
  }
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const it = source[Symbol.iterator]();
  return {
    next: async () => it.next(),
    return: async () => it.return?.() ?? { done: true, value: undefined },
  };
}
