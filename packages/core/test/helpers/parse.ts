import assert from 'node:assert/strict';
import type { BatchSink, RowBatch, SourceRef, ValidBatch } from '../../src/index.js';
import { RowBatchBuilder, rowFields } from '../../src/internal/row-batch.js';
import type { ByteParser } from '../../src/parse/parse-csv.js';
import type { RawRow } from '../../src/types.js';

/** A local source ref for tests. */
export function testSource(key: string): SourceRef {
  return { id: `test:${key}`, key };
}

/** Splits bytes into chunks of `size` so parsers see arbitrary boundaries. */
export function chunked(input: string | Buffer, size = 7): Buffer[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Drains a stage's output, returning its batches. */
export async function collectBatches<T>(batches: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

/** The rows of a column-shaped batch as records (source, line, fields, problem). */
export function batchRows(batch: RowBatch): RawRow[] {
  const rows: RawRow[] = [];
  for (let r = 0; r < batch.length; r++) {
    const problem = batch.problems?.get(r);
    const row = { source: batch.source, line: batch.lines[r]!, fields: rowFields(batch, r) };
    rows.push(problem === undefined ? row : { ...row, problem });
  }
  return rows;
}

/** Drains a parser's output, returning its rows as records. */
export async function collectRows(batches: AsyncIterable<RowBatch>): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const batch of batches) rows.push(...batchRows(batch));
  return rows;
}

/** Each row's line and problem reason (`null` for a good row): what a parser's bad-row tests compare. */
export function lineReasons(rows: readonly RawRow[]): [number, string | null][] {
  return rows.map((r) => [r.line, r.problem?.reason ?? null]);
}

/** The rows `parser` reads from `input` cut into chunks of `size` (see {@link chunked}). */
export function rowsOf(
  parser: ByteParser,
  input: string | Buffer,
  size?: number,
): Promise<RawRow[]> {
  return collectRows(parser(chunked(input, size)));
}

/** A runaway line: `size` bytes of `x` without a newline, generated lazily. */
export async function* runawayLine(prefix: string, size: number): AsyncGenerator<Buffer> {
  yield Buffer.from(prefix);
  const block = Buffer.alloc(64 * 1024, 0x78);
  for (let sent = 0; sent < size; sent += block.length) yield block;
}

/** Records as one column-shaped batch (of the first row's source). */
export function toRowBatch(rows: readonly RawRow[], source?: SourceRef): RowBatch {
  const builder = new RowBatchBuilder(source ?? rows[0]?.source ?? testSource('empty.csv'));
  for (const row of rows) builder.add(row.line, row.fields, row.problem);
  return builder.take();
}

/** A batch sink counting valid rows as aggregated; resolves to their number. */
export function countRows<T>(): BatchSink<ValidBatch<T>, number> {
  return {
    name: 'count',
    open(context) {
      let rows = 0;
      return {
        process(batch) {
          rows += batch.length;
          context.metrics?.addAggregated(batch.source, batch.length);
        },
        finish: () => rows,
      };
    },
  };
}

/** The rows of a validated batch as `{ source, line, value }` records. */
export function validRows<T>(
  batch: ValidBatch<T>,
): { source: SourceRef; line: number; value: T }[] {
  const out: { source: SourceRef; line: number; value: T }[] = [];
  const keys = Object.keys(batch.values) as (keyof T)[];
  for (let r = 0; r < batch.length; r++) {
    const value = {} as T;
    for (const key of keys) value[key] = batch.values[key][r]!;
    out.push({ source: batch.source, line: batch.lines[r]!, value });
  }
  return out;
}

/**
 * Runs `stage` over `bytes` and aborts its signal after the first batch:
 * the stage must reject with an `AbortError` before a second batch.
 */
export async function assertStopsOnAbort(
  stage: (
    source: Iterable<Buffer>,
    context: { readonly signal: AbortSignal },
  ) => AsyncIterable<RowBatch>,
  bytes: string,
): Promise<void> {
  const controller = new AbortController();
  let batches = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of stage(chunked(bytes, 50), { signal: controller.signal })) {
        batches += 1;
        controller.abort();
      }
    })(),
    { name: 'AbortError' },
  );
  assert.equal(batches, 1);
}

/** `n` NDJSON stream rows, one per line. */
export function ndjsonRows(n: number): string {
  let out = '';
  for (let i = 1; i <= n; i++)
    out += `{"user_id":${i},"track_id":"t1","listen_time":"2024-06-25 17:43:13"}\n`;
  return out;
}
