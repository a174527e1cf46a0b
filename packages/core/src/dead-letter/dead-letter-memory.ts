import type { DeadLetterEntry, DeadLetterSink } from './dead-letter.js';

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
 * Writing after `close` throws.
 */
export function memoryDeadLetter(): MemoryDeadLetterSink {
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
      if (closed) throw new Error('memoryDeadLetter: write after close');
      for (const entry of batch) entries.push(entry);
    },
    async close() {
      closed = true;
    },
  };
}
