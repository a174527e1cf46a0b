import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { type KpiItem as CoreKpiItem, toDecimalString } from '@streamkpi/core';
import { KpiItemError, type KpiKey } from './errors.js';

/**
 * An exact integer: a safe JS integer, or a string of digits (for values
 * beyond 2^53 or straight from decimal.js `toFixed()`).
 */
export type IntegerValue = number | string;

/**
 * One KPI item as it is written to DynamoDB: core's `KpiItem` with its
 * integers as numbers or digit strings (what `finalizeKpis` and
 * core's `toDecimal` stage produce are both accepted as they are), plus the
 * optional optimistic-locking `version` (bookkeeping, a non-negative safe
 * integer).
 */
export type KpiItem = CoreKpiItem<IntegerValue> & { readonly version?: number };

/** One entry of `top_songs`. */
export type TopSong = KpiItem['top_songs'][number];

/**
 * A KPI item as read back: every number as DynamoDB's exact decimal string;
 * the average with at least 2 decimal places (`"0.30"`, where DynamoDB itself
 * returns `"0.3"`); `updated_at` and `version` when the item was written
 * with them.
 */
export type StoredKpiItem = CoreKpiItem<string> & { readonly version?: string };

/** A marshalled item for `@aws-sdk/lib-dynamodb` commands; numbers are `NumberValue`s. */
export type DynamoItem = Record<string, unknown> & {
  readonly date: string;
  readonly track_genre: string;
};

/** Significant digits of a plain decimal string (DynamoDB allows 38). */
function significantDigits(s: string): number {
  const digits = s.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return digits.length === 0 ? 1 : digits.replace(/0+$/, '').length || 1;
}

/** Core's decimal rule, then DynamoDB's 38 significant digits. */
function exactNumber(value: unknown, field: string, key: string, integer: boolean): NumberValue {
  let exact: string;
  try {
    exact = toDecimalString(value, integer ? 'integer' : 'decimal');
  } catch (cause) {
    throw new KpiItemError(field, `${key}: \`${field}\`: ${(cause as Error).message}`, { cause });
  }
  if (significantDigits(exact) > 38) {
    throw new KpiItemError(
      field,
      `${key}: \`${field}\` has more than the 38 significant digits DynamoDB stores: ${exact}`,
    );
  }
  return NumberValue.from(exact);
}

function text(value: unknown, field: string, key: string, nonEmpty: boolean): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    throw new KpiItemError(
      field,
      `${key}: \`${field}\` must be a ${nonEmpty ? 'non-empty ' : ''}string, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The primary key of an item. */
export function kpiKeyOf(item: KpiKey): KpiKey {
  return { date: item.date, track_genre: item.track_genre };
}

/** A string that identifies a key uniquely (for de-duplication maps). */
export function keyString(item: KpiKey): string {
  return `${item.date}\u0000${item.track_genre}`;
}

/**
 * Marshals a KPI item for lib-dynamodb: every number becomes a
 * `NumberValue` built from its exact decimal string, so DynamoDB receives
 * `{N: "183.42"}` byte for byte. Validates as it goes and throws
 * {@link KpiItemError} (`INVALID_KPI_ITEM`) naming the item and field.
 */
export function toDynamoItem(item: KpiItem): DynamoItem {
  const key = `${String(item.date)}/${String(item.track_genre)}`;
  const songs = item.top_songs;
  if (!Array.isArray(songs)) {
    throw new KpiItemError('top_songs', `${key}: \`top_songs\` must be an array`);
  }
  const out: DynamoItem = {
    date: text(item.date, 'date', key, true),
    track_genre: text(item.track_genre, 'track_genre', key, true),
    listen_count: exactNumber(item.listen_count, 'listen_count', key, true),
    unique_listeners: exactNumber(item.unique_listeners, 'unique_listeners', key, true),
    total_listening_time: exactNumber(item.total_listening_time, 'total_listening_time', key, true),
    avg_listening_time_per_user: exactNumber(
      item.avg_listening_time_per_user,
      'avg_listening_time_per_user',
      key,
      false,
    ),
    top_3_songs: text(item.top_3_songs, 'top_3_songs', key, false),
    top_songs: songs.map((song: TopSong, i: number) => ({
      track_id: text(song.track_id, `top_songs[${i}].track_id`, key, true),
      track_name: text(song.track_name, `top_songs[${i}].track_name`, key, false),
      listen_count: exactNumber(song.listen_count, `top_songs[${i}].listen_count`, key, true),
    })),
    top_5_genres: text(item.top_5_genres, 'top_5_genres', key, false),
  };
  if (item.updated_at !== undefined)
    out.updated_at = text(item.updated_at, 'updated_at', key, true);
  if (item.version !== undefined) {
    if (!Number.isSafeInteger(item.version) || item.version < 0) {
      throw new KpiItemError('version', `${key}: \`version\` must be a non-negative safe integer`);
    }
    out.version = NumberValue.from(String(item.version));
  }
  return out;
}
