/**
 * The decimal-conversion stage (SPEC section 5): turns every numeric field of
 * a {@link KpiItem} into an exact decimal string, so the DynamoDB writer can
 * send them as numbers (`NumberValue`) without ever going through a binary
 * float.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { Batch, StageContext } from '../types.js';
import type { KpiItem } from './kpi-item.js';

/** What a field holds: an integer (counts, milliseconds) or any decimal. */
export type DecimalKind = 'integer' | 'decimal';

const PLAIN = { integer: /^-?\d+$/, decimal: /^-?\d+(\.\d+)?$/ } as const;
const EXPECTED = {
  integer: 'a safe integer, an integer string or an integer Decimal',
  decimal: 'a safe integer, a decimal string like "183.42" or a Decimal',
} as const;

/**
 * The one decimal rule of the library: the exact decimal string of `value`,
 * never through a binary float. A number must be a safe integer (a float
 * such as `0.1 + 0.2` is refused, its error would pass silently); a string
 * must be plain digits (`-`, digits, for `'decimal'` an optional fraction;
 * no exponent) and is returned as it is; a decimal.js `Decimal` must be
 * finite (and whole for `'integer'`) and is written with `toFixed()`.
 *
 * @throws PipelineError `NOT_A_DECIMAL` naming what was expected and got.
 */
export function toDecimalString(value: unknown, kind: DecimalKind = 'decimal'): string {
  let out: string | undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) out = String(value);
  } else if (typeof value === 'string') {
    if (PLAIN[kind].test(value)) out = value;
  } else if (Decimal.isDecimal(value)) {
    const d = value as Decimal;
    if (d.isFinite() && (kind === 'decimal' || d.isInteger())) out = d.toFixed();
  }
  if (out === undefined) {
    const got = Decimal.isDecimal(value) ? String(value) : (JSON.stringify(value) ?? String(value));
    throw new PipelineError('NOT_A_DECIMAL', `Expected ${EXPECTED[kind]}, got ${got}`);
  }
  return out;
}

/** Converts one item: every integer field through {@link toDecimalString} as an integer. */
export function kpiItemToDecimal(item: KpiItem<number | string>): KpiItem<string> {
  return {
    ...item,
    listen_count: toDecimalString(item.listen_count, 'integer'),
    unique_listeners: toDecimalString(item.unique_listeners, 'integer'),
    total_listening_time: toDecimalString(item.total_listening_time, 'integer'),
    avg_listening_time_per_user: toDecimalString(item.avg_listening_time_per_user),
    top_songs: item.top_songs.map((s) => ({
      ...s,
      listen_count: toDecimalString(s.listen_count, 'integer'),
    })),
  };
}

/** Options of {@link toDecimal} (none yet; an empty object is accepted). */
export const ToDecimalOptionsSchema = z.object({}).strict();

/** Options of {@link toDecimal}. */
export type ToDecimalOptions = z.input<typeof ToDecimalOptionsSchema>;

/** Creates the stage `Batch<KpiItem>` → `Batch<KpiItem<string>>`. */
export function toDecimal(
  options: ToDecimalOptions = {},
): (
  source: AsyncIterable<Batch<KpiItem>> | Iterable<Batch<KpiItem>>,
  context?: StageContext,
) => AsyncGenerator<Batch<KpiItem<string>>> {
  parseOptions(ToDecimalOptionsSchema, options, 'toDecimal');
  return async function* convert(source, context) {
    for await (const batch of source) {
      context?.signal.throwIfAborted();
      yield batch.map(kpiItemToDecimal);
    }
  };
}
