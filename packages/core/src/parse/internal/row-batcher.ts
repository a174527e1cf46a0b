import type { RunMetrics } from '../../metrics.js';
import type { Batch, RawRow, SourceRef } from '../../types.js';

/**
 * Collects rows into batches of `batchSize`. A full batch is handed out only
 * when the next row arrives, so the last row of a file is always still held
 * when the parser learns the file has ended (the CSV parser marks an
 * unterminated tail row that way).
 */
export class RowBatcher {
  #batch: RawRow[] = [];
  readonly #batchSize: number;
  readonly #source: SourceRef;
  readonly #metrics: RunMetrics | undefined;

  constructor(batchSize: number, source: SourceRef, metrics: RunMetrics | undefined) {
    this.#batchSize = batchSize;
    this.#source = source;
    this.#metrics = metrics;
  }

  /** Adds a row; returns a full batch to emit before it, if any. */
  add(row: RawRow): Batch<RawRow> | undefined {
    let full: Batch<RawRow> | undefined;
    if (this.#batch.length >= this.#batchSize) full = this.take();
    this.#batch.push(row);
    return full;
  }

  /** Replaces the most recently added row (still held). */
  replaceLast(row: RawRow): void {
    if (this.#batch.length > 0) this.#batch[this.#batch.length - 1] = row;
  }

  /** The most recently added row, while still held. */
  last(): RawRow | undefined {
    return this.#batch[this.#batch.length - 1];
  }

  /** Hands out what is held (possibly empty) and counts it as read. */
  take(): Batch<RawRow> {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length > 0) this.#metrics?.addRead(this.#source, batch.length);
    return batch;
  }
}
