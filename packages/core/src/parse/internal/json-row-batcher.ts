/**
 * The part both JSON parsers share once a text (an NDJSON line or an array
 * element) is cut out: text → row (oversize or decoded, see json-text.ts),
 * the header check on the first good object, and batching.
 */
import type { RunMetrics } from '../../metrics.js';
import type { RowBatch, SourceRef } from '../../types.js';
import { jsonTextRow, tooLargeRow } from './json-text.js';
import type { HeaderCallback } from './parse-options.js';
import { RowBatcher } from './row-batcher.js';

/** The validated options of a JSON parser that this uses. */
export interface JsonRowOptions {
  readonly source: SourceRef;
  readonly batchSize: number;
  readonly maxRowBytes: number;
  readonly maxDepth: number;
  readonly maxFields: number;
  readonly onHeader?: HeaderCallback | undefined;
}

/** Turns cut-out JSON texts into batches of rows. */
export class JsonRowBatcher {
  readonly #options: JsonRowOptions;
  readonly #what: string;
  readonly #batcher: RowBatcher;
  #headerChecked = false;

  /** `what` names a text in messages (`'NDJSON line'`, `'array element'`). */
  constructor(options: JsonRowOptions, what: string, metrics: RunMetrics | undefined) {
    this.#options = options;
    this.#what = what;
    this.#batcher = new RowBatcher(options.batchSize, options.source, metrics);
  }

  /**
   * Adds the text at `line`; `oversize` when only its first bytes were kept.
   * Returns a full batch, if this filled one.
   */
  add(line: number, text: Buffer, oversize: boolean): RowBatch | undefined {
    const { source, maxRowBytes, maxDepth, maxFields, onHeader } = this.#options;
    const row = oversize
      ? tooLargeRow(source, line, text, maxRowBytes)
      : jsonTextRow(source, line, text, maxDepth, maxFields, this.#what);
    if (row === undefined) return undefined;
    if (!this.#headerChecked && row.problem === undefined) {
      this.#headerChecked = true;
      onHeader?.(Object.keys(row.fields));
    }
    return this.#batcher.add(row);
  }

  /** The rows not yet returned (maybe none). */
  take(): RowBatch {
    return this.#batcher.take();
  }
}
