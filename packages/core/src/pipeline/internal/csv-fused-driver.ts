/**
 * The loop shared by the fused CSV paths (stream objects, reference files):
 * bytes → gunzip (by key) → line guard → tokenizer batches → a folder that
 * reads the columns it needs by index, synchronously, batch by batch — so
 * the cells of a batch die young instead of travelling through async stages.
 */

import { ParseError } from '../../errors.js';
import type { RunMetrics } from '../../metrics.js';
import { decompress } from '../../parse/decompress.js';
import { type ByteSource, guardLines, toBuffer } from '../../parse/internal/bytes.js';
import { withSource } from '../../parse/internal/csv-rows.js';
import { type CsvRowBatch, createCsvTokenizer } from '../../parse/internal/fast-csv.js';
import type { SourceRef } from '../../types.js';

/** What the driver feeds. */
export interface FusedCsvFolder {
  /** Set once the header was accepted by {@link FusedCsvFolder.setHeader}. */
  readonly header: unknown;
  /** Checks and takes the header cells (throws `HeaderError` to reject the file). */
  setHeader(cells: readonly string[]): void;
  /** Folds one tokenizer batch; `unterminated`: its last row is the open quoted tail. */
  rows(batch: CsvRowBatch, unterminated: boolean): Promise<void>;
  /** Ends the last group of rows (counts, dead letters). */
  flush(): Promise<void>;
}

/** Options of {@link driveFusedCsv}. */
export interface FusedCsvDriverOptions {
  readonly source: SourceRef;
  readonly metrics: RunMetrics;
  readonly maxRowBytes: number;
  readonly signal: AbortSignal;
}

/**
 * Feeds every row of a CSV object to `folder`.
 * @throws ParseError `EMPTY_FILE` without a header line, `LINE_TOO_LONG`…
 */
export async function driveFusedCsv(
  bytes: ByteSource,
  options: FusedCsvDriverOptions,
  folder: FusedCsvFolder,
): Promise<void> {
  const { source, maxRowBytes, signal, metrics } = options;
  const tokenizer = createCsvTokenizer({
    maxRowBytes,
    skipEmptyLines: true,
    unterminatedQuote: 'row',
  });
  const gunzip = decompress({ source });
  const counted = countBytes(bytes, metrics);
  try {
    for await (const chunk of guardLines(gunzip(counted, { signal }), {
      source,
      maxLineBytes: maxRowBytes,
      signal,
    })) {
      signal.throwIfAborted();
      const rows = tokenizer.push(chunk);
      if (folder.header === undefined && tokenizer.header !== undefined) {
        folder.setHeader(tokenizer.header);
      }
      await folder.rows(rows, false);
    }
    const rest = tokenizer.end();
    if (folder.header === undefined && tokenizer.header !== undefined) {
      folder.setHeader(tokenizer.header);
    }
    await folder.rows(rest, tokenizer.unterminated);
  } catch (err) {
    throw withSource(err, source, maxRowBytes);
  }
  if (folder.header === undefined) {
    throw new ParseError('EMPTY_FILE', `${source.id}: file has no header line`, { source });
  }
  await folder.flush();
}

async function* countBytes(bytes: ByteSource, metrics: RunMetrics): AsyncGenerator<Buffer> {
  for await (const chunk of bytes) {
    const buf = toBuffer(chunk);
    metrics.addBytes(buf.length);
    yield buf;
  }
}
