/**
 * Helpers of the {@link RowBatch} contract shared by the stages: reading a
 * row back as a record (for zod and dead-letter entries, off the hot path)
 * and collecting records (JSON, csv-parser) into a column-shaped batch.
 */
import type { RawFields, RowBatch, RowProblem, SourceRef } from '../types.js';

/**
 * Row `r` as a record: cell `i` under `columns[i]`, or `_i` past the columns
 * (csv-parser's name for the extra cells of a ragged row); absent cells are
 * left out.
 */
export function rowFields(batch: RowBatch, r: number): RawFields {
  const fields: RawFields = {};
  const { cells, columns } = batch;
  const first = batch.starts[r]!;
  const end = batch.starts[r + 1]!;
  for (let at = first; at < end; at++) {
    const value = cells[at];
    if (value === undefined) continue;
    const i = at - first;
    fields[i < columns.length ? columns[i]! : `_${i}`] = value;
  }
  return fields;
}

/** `problems` (created when undefined) with row `row`'s problem set. */
export function withProblem(
  problems: Map<number, RowProblem> | undefined,
  row: number,
  problem: RowProblem,
): Map<number, RowProblem> {
  const map = problems ?? new Map<number, RowProblem>();
  map.set(row, problem);
  return map;
}

/** An empty batch of `source`. */
export function emptyRowBatch(source: SourceRef): RowBatch {
  return { source, length: 0, columns: [], cells: [], starts: [0], lines: [], problems: undefined };
}

/**
 * Collects records into {@link RowBatch}es: the columns are the keys in the
 * order first seen in the batch; a record lacking a column gets `undefined`.
 */
export class RowBatchBuilder {
  #columns: string[] = [];
  #index = new Map<string, number>();
  #cells: (string | undefined)[] = [];
  #starts: number[] = [0];
  #lines: number[] = [];
  #problems: Map<number, RowProblem> | undefined;

  constructor(readonly source: SourceRef) {}

  /** Rows held. */
  get length(): number {
    return this.#lines.length;
  }

  /** Adds one row. */
  add(line: number, fields: RawFields, problem?: RowProblem): void {
    const row = this.#lines.length;
    const first = this.#cells.length;
    for (const key in fields) {
      let column = this.#index.get(key);
      if (column === undefined) {
        column = this.#columns.length;
        this.#columns.push(key);
        this.#index.set(key, column);
      }
      while (this.#cells.length <= first + column) this.#cells.push(undefined);
      this.#cells[first + column] = fields[key];
    }
    this.#starts.push(this.#cells.length);
    this.#lines.push(line);
    if (problem !== undefined) this.#problems = withProblem(this.#problems, row, problem);
  }

  /** Sets the problem of the last row added (while still held). */
  markLast(problem: RowProblem): void {
    const row = this.#lines.length - 1;
    if (row >= 0) this.#problems = withProblem(this.#problems, row, problem);
  }

  /** Line of the last row added, if any is held. */
  lastLine(): number | undefined {
    return this.#lines[this.#lines.length - 1];
  }

  /** Hands out the rows held as one batch and starts a new one. */
  take(): RowBatch {
    const batch: RowBatch = {
      source: this.source,
      length: this.#lines.length,
      columns: this.#columns,
      cells: this.#cells,
      starts: this.#starts,
      lines: this.#lines,
      problems: this.#problems,
    };
    this.#columns = [];
    this.#index = new Map();
    this.#cells = [];
    this.#starts = [0];
    this.#lines = [];
    this.#problems = undefined;
    return batch;
  }
}
