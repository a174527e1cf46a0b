import { z } from 'zod';
import type { DeadLetterEntry, DeadLetterSink } from '../dead-letter/dead-letter.js';
import { parseOptions } from '../internal/options.js';
import { RunMetrics } from '../metrics.js';
import type { Batch, Dataset, RawRow, Stage, ValidRow } from '../types.js';
import { checkRawRow, rowValidator } from './row-check.js';
import { type DatasetRow, listenTimeWindowSchema } from './schemas.js';

function isDeadLetterSink(value: unknown): value is DeadLetterSink {
  const v = value as Partial<DeadLetterSink> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.write === 'function' &&
    typeof v.close === 'function'
  );
}

/** Options of {@link validateRows}. */
export const validateRowsOptionsSchema = z.object({
  /** Which dataset's schema to apply. */
  dataset: z.enum(['streams', 'songs', 'users']),
  /** Where rejected rows go; written once per batch that has rejects (awaited: backpressure). */
  deadLetter: z.custom<DeadLetterSink>(isDeadLetterSink, {
    message: 'Expected a DeadLetterSink `{ write(entries), close() }`',
  }),
  /** Run counters; rejected rows are counted under their first reason. */
  metrics: z.instanceof(RunMetrics).optional(),
  /**
   * Streams: accepted `listen_time` instants `{ from?, to? }` (default
   * 2000-01-01 to one day after now); outside → `listen_time_out_of_range`.
   */
  listenTimeWindow: listenTimeWindowSchema.optional(),
});

/** Options of {@link validateRows}. */
export type ValidateRowsOptions<D extends Dataset = Dataset> = Omit<
  z.input<typeof validateRowsOptionsSchema>,
  'dataset'
> & { readonly dataset: D };

/**
 * A stage that validates raw rows against the dataset's zod schema
 * (SPEC section 3). Valid rows go on as {@link ValidRow} batches; rows with
 * a parser problem (`ragged_row`, `invalid_utf8`…) or failing fields go to
 * the dead-letter sink with source, line, raw fields and one reason per
 * failing field. Every input row ends up in exactly one of the two.
 */
export function validateRows<D extends Dataset>(
  options: ValidateRowsOptions<D>,
): Stage<RawRow, ValidRow<DatasetRow[D]>> {
  const { deadLetter, metrics, listenTimeWindow } = parseOptions(
    'validateRows',
    validateRowsOptionsSchema,
    options,
  );
  const validate = rowValidator(options.dataset, listenTimeWindow);

  return async function* validateRowsStage(source, { signal }) {
    for await (const batch of source) {
      signal.throwIfAborted();
      const valid: Batch<ValidRow<DatasetRow[D]>> = [];
      let rejected: DeadLetterEntry[] | undefined;
      for (const row of batch) {
        const check = checkRawRow(row, validate);
        if (check.ok) {
          valid.push({ source: row.source, line: row.line, value: check.value });
          continue;
        }
        rejected ??= [];
        rejected.push(check.entry);
        metrics?.addRejected(row.source, check.entry.reasons[0]?.reason ?? 'unknown');
      }
      if (rejected !== undefined) await deadLetter.write(rejected);
      if (valid.length > 0) yield valid;
    }
  };
}
