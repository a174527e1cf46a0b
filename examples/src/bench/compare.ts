import type { KpiItem } from '@streamkpi/core';
import { Decimal } from 'decimal.js';

/** A KPI item reduced to what every tool must agree on. */
export type ComparableItem = Omit<KpiItem, 'top_songs' | 'updated_at'> & {
  /** `track_id:listen_count` of `top_songs`, when the tool wrote it. */
  readonly top_songs?: string;
};

function num(value: unknown): number {
  return Number(String(value));
}

/**
 * Normalises an item as written by any tool (plain JSON from NDJSON, or a
 * DynamoDB item read with `wrapNumbers`): numbers as numbers, the average as
 * a 2-place string, bookkeeping attributes dropped.
 */
export function comparable(item: Record<string, unknown>): ComparableItem {
  const base = {
    date: String(item.date),
    track_genre: String(item.track_genre),
    listen_count: num(item.listen_count),
    unique_listeners: num(item.unique_listeners),
    total_listening_time: num(item.total_listening_time),
    avg_listening_time_per_user: new Decimal(String(item.avg_listening_time_per_user)).toFixed(2),
    top_3_songs: String(item.top_3_songs),
    top_5_genres: String(item.top_5_genres),
  };
  if (!Array.isArray(item.top_songs)) return base;
  const songs = (item.top_songs as Array<Record<string, unknown>>)
    .map((s) => `${String(s.track_id)}:${num(s.listen_count)}`)
    .join(',');
  return { ...base, top_songs: songs };
}

/**
 * Compares two tools' items by (date, genre). Returns `undefined` when they
 * agree, else a message naming the first differing item.
 */
export function firstDifference(
  expected: readonly Record<string, unknown>[],
  actual: readonly Record<string, unknown>[],
  names: { expected: string; actual: string },
): string | undefined {
  const key = (i: ComparableItem) => `${i.date} ${i.track_genre}`;
  const want = new Map(expected.map((i) => comparable(i)).map((i) => [key(i), i]));
  const got = new Map(actual.map((i) => comparable(i)).map((i) => [key(i), i]));
  const keys = [...new Set([...want.keys(), ...got.keys()])].sort();
  for (const k of keys) {
    const a = want.get(k);
    const b = got.get(k);
    if (a === undefined) return `${k}: only in ${names.actual}: ${JSON.stringify(b)}`;
    if (b === undefined)
      return `${k}: missing from ${names.actual} (${names.expected}: ${JSON.stringify(a)})`;
    for (const field of Object.keys(a) as Array<keyof ComparableItem>) {
      if (field === 'top_songs' && (a.top_songs === undefined || b.top_songs === undefined))
        continue;
      if (a[field] !== b[field]) {
        return `${k}: ${field} differs: ${names.expected}=${JSON.stringify(a[field])} ${names.actual}=${JSON.stringify(b[field])}`;
      }
    }
  }
  return undefined;
}
