import { RowBatchBuilder } from '../../internal/row-batch.js';
import type { RunMetrics } from '../../metrics.js';
import type { RawRow, RowBatch, RowProblem, SourceRef } from '../../types.js';

/**
 * The boundary between the record parsers (NDJSON, JSON array, csv-parser)
 * and the {@link RowBatch} contract: collects their records into batches of
 * `batchSize`. A full batch is handed out only when the next row arrives, so
 * the last row of a file is always still held when the parser learns the
 * file has ended (the CSV parser marks an unterminated tail row that way).
 */
export class RowBatcher {
  #rows: RowBatchBuilder;
  readonly #batchSize: number;
  readonly #source: SourceRef;
  readonly #metrics: RunMetrics | undefined;

  constructor(batchSize: number, source: SourceRef, metrics: RunMetrics | undefined) {
    this.#batchSize = batchSize;
    this.#source = source;
    this.#metrics = metrics;
    this.#rows = new RowBatchBuilder(source);
  }

  /** Adds a row; returns a full batch to emit before it, if any. */
  add(row: {
    readonly line: number;
    readonly fields: RawRow['fields'];
    readonly problem?: RowProblem | undefined;
  }): RowBatch | undefined {
    let full: RowBatch | undefined;
    if (this.#rows.length >= this.#batchSize) full = this.take();
    this.#rows.add(row.line, row.fields, row.problem);
    return full;
  }

  /** Sets the problem of the most recently added row (still held). */
  markLast(problem: RowProblem): void {
    this.#rows.markLast(problem);
  }

  /** Line of the most recently added row, while still held. */
  lastLine(): number | undefined {
    return this.#rows.lastLine();
  }

  /** Hands out what is held (possibly empty) and counts it as read. */
  take(): RowBatch {
    const batch = this.#rows.take();
    if (batch.length > 0) this.#metrics?.addRead(this.#source, batch.length);
    return batch;
  }
}
