/**
 * Turns tokenizer rows into header-keyed records exactly as csv-parser 3.x
 * does (`writeRow`): for the (rare) callers that need objects, and for the
 * differential test. The hot path should read columns by index instead.
 */
import type { RawFields } from '../../types.js';
import { type CsvRowBatch, cellCount } from './fast-csv.js';

const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Record keys for a header row, as csv-parser computes them: the header cell,
 * or `null` (column dropped) for `__proto__`, `constructor` and `prototype`.
 */
export function csvRecordKeys(header: readonly string[]): (string | null)[] {
  return header.map((name) => (DANGEROUS_KEYS.has(name) ? null : name));
}

/**
 * The record csv-parser would emit for row `row`: cell `i` under `keys[i]`,
 * skipped when that key is `null`, under `_i` when the row has more cells
 * than the header. Later duplicate header names overwrite earlier ones.
 */
export function csvRecord(
  keys: readonly (string | null)[],
  batch: CsvRowBatch,
  row: number,
): RawFields {
  const record: RawFields = {};
  const first = batch.starts[row]!;
  const count = cellCount(batch, row);
  for (let i = 0; i < count; i++) {
    const key = keys[i];
    if (key === null) continue;
    record[key === undefined ? `_${i}` : key] = batch.cells[first + i]!;
  }
  return record;
}

/**
 * Column index of each of `names` in `header`, or -1 when absent: the index
 * whose value a csv-parser record would hold under that name, i.e. the LAST
 * column of that name (later duplicates overwrite earlier ones). Lets the hot
 * path read `cellAt(batch, row, index)` without building records.
 */
export function csvColumnIndexes(header: readonly string[], names: readonly string[]): number[] {
  const keys = csvRecordKeys(header);
  return names.map((name) => keys.lastIndexOf(name));
}

/**
 * A faster {@link csvRecord} for one header: when every column has its own
 * key, records of rows with exactly that many cells are built by a function
 * compiled once with an object literal of those keys (one hidden class, no
 * per-key transitions); any other row falls back to {@link csvRecord}.
 */
export function csvRecordBuilder(
  keys: readonly (string | null)[],
): (batch: CsvRowBatch, row: number) => RawFields {
  const simple = keys.every((k) => k !== null) && new Set(keys).size === keys.length;
  if (!simple || keys.length === 0 || keys.length > 200) {
    return (batch, row) => csvRecord(keys, batch, row);
  }
  const body = (keys as string[]).map((k, i) => `${JSON.stringify(k)}: c[o + ${i}]`).join(', ');
  const literal = new Function('c', 'o', `return { ${body} };`) as (
    cells: string[],
    offset: number,
  ) => RawFields;
  const columns = keys.length;
  return (batch, row) => {
    const first = batch.starts[row]!;
    return batch.starts[row + 1]! - first === columns
      ? literal(batch.cells, first)
      : csvRecord(keys, batch, row);
  };
}
