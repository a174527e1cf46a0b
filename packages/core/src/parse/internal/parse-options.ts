import { z } from 'zod';
import { functionSchema, sourceRefSchema } from '../../internal/options.js';
import { RunMetrics } from '../../metrics.js';

/** Called with the header (CSV) or first record's keys (JSON) before any row is emitted. */
export type HeaderCallback = (header: readonly string[]) => void;

/** Default number of rows per emitted batch. */
export const DEFAULT_BATCH_SIZE = 1000;
/** Default longest line / row / record, in bytes: 4 MiB. */
export const DEFAULT_MAX_ROW_BYTES = 4 * 1024 * 1024;

/** Default most fields (cells, keys) of one row. */
export const DEFAULT_MAX_FIELDS = 10_000;

/** Options shared by every parser. */
export const baseParseOptionsSchema = z.object({
  /** The source object; every emitted row carries it. */
  source: sourceRefSchema,
  /** Rows per emitted batch. Default 1000. */
  batchSize: z.number().int().min(1).max(1_000_000).default(DEFAULT_BATCH_SIZE),
  /**
   * Longest line (CSV, NDJSON), CSV row or JSON array element in bytes.
   * A longer CSV line fails with `LINE_TOO_LONG`; a longer NDJSON line or
   * JSON element is dead-lettered as `row_too_large` (its first KiB kept).
   * Default 4 MiB.
   */
  maxRowBytes: z.number().int().min(16).default(DEFAULT_MAX_ROW_BYTES),
  /**
   * Most fields of one row (CSV cells, top-level keys of a JSON object): a
   * row with more is dead-lettered as `too_many_fields`, so its cost is
   * bounded whatever its delimiter count; a CSV header with more fails with
   * `TOO_MANY_COLUMNS`. Default 10,000.
   */
  maxFields: z.number().int().min(1).max(10_000_000).default(DEFAULT_MAX_FIELDS),
  /** Called once with the header before any row flows; throw to reject the file. */
  onHeader: functionSchema<HeaderCallback>('`onHeader`').optional(),
  /** Run counters; `addRead` is called per emitted batch. */
  metrics: z.instanceof(RunMetrics).optional(),
});

/** Default deepest nesting of a JSON row (the row object itself is depth 1). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Options of the JSON parsers (NDJSON, JSON array). */
export const jsonParseOptionsSchema = baseParseOptionsSchema.extend({
  /**
   * Deepest nesting of one row (the object is depth 1); a deeper row is
   * dead-lettered as `too_deep`. Default 64.
   */
  maxDepth: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_JSON_DEPTH),
});
