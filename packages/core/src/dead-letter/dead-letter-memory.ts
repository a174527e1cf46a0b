import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { DeadLetterEntry, DeadLetterSink } from './dead-letter.js';

/** Options of {@link memoryDeadLetter}. */
export const memoryDeadLetterOptionsSchema = z
  .object({
    /** Once aborted, `write` rejects with the signal's reason and keeps nothing more. */
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

/** Options of {@link memoryDeadLetter}. */
export type MemoryDeadLetterOptions = z.input<typeof memoryDeadLetterOptionsSchema>;

/** An in-memory dead-letter sink; `entries` holds everything written. */
export interface MemoryDeadLetterSink extends DeadLetterSink {
  /** Every entry written, in order. */
  readonly entries: readonly DeadLetterEntry[];
  /** True once `close` was called. */
  readonly closed: boolean;
}

/**
 * Creates a dead-letter sink that keeps entries in an array — for tests,
 * the demo and small runs (it grows with the number of rejected rows).
 * Writing after `close` rejects with `PipelineError` `DEAD_LETTER_CLOSED`.
 */
export function memoryDeadLetter(options: MemoryDeadLetterOptions = {}): MemoryDeadLetterSink {
  const { signal } = parseOptions(memoryDeadLetterOptionsSchema, options, 'memoryDeadLetter');
  const entries: DeadLetterEntry[] = [];
  let closed = false;
  return {
    get entries() {
      return entries;
    },
    get closed() {
      return closed;
    },
    async write(batch) {
      if (closed) {
        throw new PipelineError('DEAD_LETTER_CLOSED', 'memoryDeadLetter: write after close');
      }
      signal?.throwIfAborted();
      for (const entry of batch) entries.push(entry);
    },
    async close() {
      closed = true;
    },
  };
}
