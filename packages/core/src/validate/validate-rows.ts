import { z } from 'zod';
import { type DeadLetterEntry, deadLetterSinkSchema } from '../dead-letter/dead-letter.js';
import { parseOptions } from '../internal/options.js';
import { rowFields } from '../internal/row-batch.js';
import { RunMetrics } from '../metrics.js';
import type { BatchStage, Dataset, RowBatch, RowProblem } from '../types.js';
import { rowAcceptorFor, type ValidatedBatch } from './row-acceptors.js';
import { rejectEntry, rowValidator } from './row-check.js';
import { listenTimeWindowSchema } from './schemas.js';

const NO_ROWS = new Int32Array(0);

/** The rows that have a problem, ascending. */
function problemRows(problems: ReadonlyMap<number, RowProblem> | undefined): Int32Array {
  if (problems === undefined || problems.size === 0) return NO_ROWS;
  return Int32Array.from(problems.keys()).sort();
}

/** Options of {@link validateRows}. */
export const validateRowsOptionsSchema = z.object({
  /** Which dataset's schema to apply. */
  dataset: z.enum(['streams', 'songs', 'users']),
  /** Where rejected rows go; written once per batch that has rejects (awaited: backpressure). */
  deadLetter: deadLetterSinkSchema,
  /** Counters of rejected rows (by first reason); default the pipeline's. */
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
 * The validation stage (SPEC section 3): parsed rows in, the dataset's
 * validated columns out. A row goes through the dataset's row acceptor (the
 * fast path for plainly valid rows, else its zod schema); rows with a parser
 * problem (`ragged_row`, `invalid_utf8`…) or failing fields go to the dead
 * letter with source, line, raw fields and one reason per failing field.
 * Every input row ends up in exactly one of the two.
 *
 * @throws OptionsError for invalid options, before any I/O.
 */
export function validateRows<D extends Dataset>(
  options: ValidateRowsOptions<D>,
): BatchStage<RowBatch, ValidatedBatch[D]> {
  const {
    metrics: given,
    deadLetter,
    listenTimeWindow,
  } = parseOptions(validateRowsOptionsSchema, options, 'validateRows');
  const dataset = options.dataset;
  const acceptor = rowAcceptorFor(dataset, listenTimeWindow);
  const check = rowValidator(dataset, listenTimeWindow);
  return {
    name: 'validate',
    open(context) {
      const metrics = given ?? context.metrics;
      let pending: DeadLetterEntry[] = [];
      let columns: readonly string[] | undefined;
      let index = new Int32Array(acceptor.fields.length);
      let usable = false;
      return {
        process(batch) {
          if (batch.columns !== columns) {
            columns = batch.columns;
            index = Int32Array.from(acceptor.fields, (f) => batch.columns.lastIndexOf(f));
            usable = index.every((i) => i >= 0);
          }
          const { source, cells, starts, lines, problems } = batch;
          const out = acceptor.create(source, batch.length);
          // Rows with a parser problem, in order: the other rows need no lookup.
          const marked = problemRows(problems);
          let m = 0;
          let nextMarked = marked.length > 0 ? marked[0]! : -1;
          for (let r = 0; r < batch.length; r++) {
            let problem: RowProblem | undefined;
            if (r === nextMarked) {
              problem = problems!.get(r);
              nextMarked = ++m < marked.length ? marked[m]! : -1;
            }
            if (problem === undefined) {
              if (
                usable &&
                acceptor.fast(out, cells, starts[r]!, starts[r + 1]!, index, lines[r]!)
              ) {
                continue;
              }
              const fields = rowFields(batch, r);
              const result = check(fields);
              if (result.ok) {
                acceptor.push(out, result.value, lines[r]!);
                continue;
              }
              pending.push(rejectEntry(source, lines[r]!, fields, result.reasons));
            } else {
              const reasons = [{ reason: problem.reason, message: problem.message }];
              pending.push(rejectEntry(source, lines[r]!, rowFields(batch, r), reasons));
            }
            metrics?.addRejected(source, pending[pending.length - 1]!.reasons[0]!.reason);
          }
          acceptor.end(out);
          return out;
        },
        flush() {
          if (pending.length === 0) return undefined;
          const entries = pending;
          pending = [];
          return deadLetter.write(entries);
        },
      };
    },
  };
}
