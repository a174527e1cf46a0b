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
import type { KpiItem } from './finalize-kpis.js';

/** A `top_songs` entry with its count as a decimal string. */
export interface DecimalTopSong {
  readonly track_id: string;
  readonly track_name: string;
  readonly listen_count: string;
}

/** A {@link KpiItem} whose numeric fields are exact decimal strings. */
export interface DecimalKpiItem {
  readonly date: string;
  readonly track_genre: string;
  readonly listen_count: string;
  readonly unique_listeners: string;
  readonly total_listening_time: string;
  readonly avg_listening_time_per_user: string;
  readonly top_3_songs: string;
  readonly top_songs: readonly DecimalTopSong[];
  readonly top_5_genres: string;
  readonly updated_at?: string;
}

/**
 * An exact decimal string for `value`: integers must be safe integers, other
 * numbers are written with their shortest round-trip digits, strings must
 * already be decimals.
 *
 * @throws PipelineError `NOT_A_DECIMAL` for NaN, ±Infinity, unsafe integers or non-numeric strings.
 */
export function toDecimalString(value: number | string | Decimal): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw new PipelineError('NOT_A_DECIMAL', `Cannot write ${value} as an exact decimal`);
    }
    return new Decimal(value).toFixed();
  }
  if (typeof value === 'string' && PLAIN_DECIMAL.test(value)) return value;
  let d: Decimal;
  try {
    d = value instanceof Decimal ? value : new Decimal(value);
  } catch (cause) {
    throw new PipelineError(
      'NOT_A_DECIMAL',
      `Not a decimal number: ${JSON.stringify(String(value))}`,
      { cause },
    );
  }
  if (!d.isFinite())
    throw new PipelineError('NOT_A_DECIMAL', `Cannot write ${d.toString()} as an exact decimal`);
  return d.toFixed();
}

const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Converts one item. */
export function kpiItemToDecimal(item: KpiItem): DecimalKpiItem {
  return {
    ...item,
    listen_count: toDecimalString(item.listen_count),
    unique_listeners: toDecimalString(item.unique_listeners),
    total_listening_time: toDecimalString(item.total_listening_time),
    avg_listening_time_per_user: toDecimalString(item.avg_listening_time_per_user),
    top_songs: item.top_songs.map((s) => ({ ...s, listen_count: toDecimalString(s.listen_count) })),
  };
}

/** Options of {@link toDecimal} (none yet; an empty object is accepted). */
export const ToDecimalOptionsSchema = z.object({}).strict();

/** Options of {@link toDecimal}. */
export type ToDecimalOptions = z.input<typeof ToDecimalOptionsSchema>;

/** Creates the stage `Batch<KpiItem>` → `Batch<DecimalKpiItem>`. */
export function toDecimal(
  options: ToDecimalOptions = {},
): (
  source: AsyncIterable<Batch<KpiItem>> | Iterable<Batch<KpiItem>>,
  context?: StageContext,
) => AsyncGenerator<Batch<DecimalKpiItem>> {
  parseOptions(ToDecimalOptionsSchema, options, 'toDecimal');
  return async function* convert(source, context) {
    for await (const batch of source) {
      context?.signal.throwIfAborted();
      yield batch.map(kpiItemToDecimal);
    }
  };
}
