import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { KpiItemError, type KpiKey } from './errors.js';

/**
 * An exact integer: a safe JS integer, or a string of digits (for values
 * beyond 2^53 or straight from decimal.js `toFixed()`).
 */
export type IntegerValue = number | string;

/** One entry of `top_songs`. */
export interface TopSong {
  readonly track_id: string;
  readonly track_name: string;
  readonly listen_count: IntegerValue;
}

/**
 * One KPI item (SPEC section 4): a date × genre row as it is written to
 * DynamoDB. Structural, so the `KpiItem` of `@streamkpi/core` is assignable
 * to it. Decimals are strings so they never pass through a binary float.
 */
export interface KpiItem {
  /** `YYYY-MM-DD`; partition key. */
  readonly date: string;
  /** Sort key. */
  readonly track_genre: string;
  readonly listen_count: IntegerValue;
  readonly unique_listeners: IntegerValue;
  /** Milliseconds. */
  readonly total_listening_time: IntegerValue;
  /** Seconds, a decimal string rounded to 2 places, e.g. `"183.42"`. */
  readonly avg_listening_time_per_user: string;
  readonly top_3_songs: string;
  readonly top_songs: readonly TopSong[];
  readonly top_5_genres: string;
  /** ISO-8601 time the item was computed (written when present). */
  readonly updated_at?: string;
  /** Optimistic-locking version (bookkeeping), a non-negative safe integer. */
  readonly version?: number;
}

/** A KPI item as read back: every number as DynamoDB's exact decimal string. */
export interface StoredKpiItem {
  readonly date: string;
  readonly track_genre: string;
  readonly listen_count: string;
  readonly unique_listeners: string;
  readonly total_listening_time: string;
  /** At least 2 decimal places, e.g. `"0.30"` (DynamoDB itself returns `"0.3"`). */
  readonly avg_listening_time_per_user: string;
  readonly top_3_songs: string;
  readonly top_songs: readonly {
    readonly track_id: string;
    readonly track_name: string;
    readonly listen_count: string;
  }[];
  readonly top_5_genres: string;
  /** Present when the item was written with it. */
  readonly updated_at?: string;
  /** Present when the item was written with a version. */
  readonly version?: string;
}

/** A marshalled item for `@aws-sdk/lib-dynamodb` commands; numbers are `NumberValue`s. */
export type DynamoItem = Record<string, unknown> & {
  readonly date: string;
  readonly track_genre: string;
};

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Significant digits of a plain decimal string (DynamoDB allows 38). */
function significantDigits(s: string): number {
  const digits = s.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return digits.length === 0 ? 1 : digits.replace(/0+$/, '').length || 1;
}

function exactNumber(value: unknown, field: string, key: string, integer: boolean): NumberValue {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new KpiItemError(
        field,
        `${key}: \`${field}\` must be a safe integer or a decimal string, got ${value}`,
      );
    }
    return NumberValue.from(String(value));
  }
  if (typeof value === 'string' && (integer ? INTEGER : DECIMAL).test(value)) {
    if (significantDigits(value) > 38) {
      throw new KpiItemError(
        field,
        `${key}: \`${field}\` has more than the 38 significant digits DynamoDB stores: ${value}`,
      );
    }
    return NumberValue.from(value);
  }
  throw new KpiItemError(
    field,
    `${key}: \`${field}\` must be ${integer ? 'an integer' : 'a decimal string like "183.42"'}, got ${JSON.stringify(value)}`,
  );
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
