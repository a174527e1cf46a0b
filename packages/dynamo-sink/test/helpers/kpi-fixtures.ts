import assert from 'node:assert/strict';
import { prng } from '../../../core/test/helpers/prng.js';
import {
  BatchWriteError,
  type KpiItem,
  readKpiItems,
  type StoredKpiItem,
} from '../../src/index.js';

export { prng };

const GENRES = [
  'pop',
  'rock',
  'k-pop',
  'jazz',
  'metal',
  'café-tango',
  'hip-hop',
  'j-pop',
  'classical',
];

/** A KPI item with the given key and pseudo-random values; decimals as 2dp strings. */
export function makeItem(
  date: string,
  genre: string,
  rand: () => number,
  version?: number,
): KpiItem {
  const listens = 1 + Math.floor(rand() * 100_000);
  const users = 1 + Math.floor(rand() * listens);
  const intPart = Math.floor(rand() * 1_000_000);
  const cents = String(Math.floor(rand() * 100)).padStart(2, '0');
  const item: KpiItem = {
    date,
    track_genre: genre,
    listen_count: listens,
    unique_listeners: String(users),
    total_listening_time: Math.floor(rand() * 9_000_000_000_000),
    avg_listening_time_per_user: `${intPart}.${cents}`,
    top_3_songs: 'Señorita, "Quoted, Song", 東京',
    top_songs: [
      { track_id: `t${Math.floor(rand() * 1000)}`, track_name: 'Señorita', listen_count: 7 },
      { track_id: 'tq', track_name: '"Quoted, Song"', listen_count: '5' },
    ],
    top_5_genres: 'pop, rock, jazz, metal, k-pop',
    updated_at: '2024-06-26T00:00:00.000Z',
  };
  return version === undefined ? item : { ...item, version };
}

/** `n` items with distinct keys over a few dates and genres. */
export function randomItems(n: number, seed: number): KpiItem[] {
  const rand = prng(seed);
  const items: KpiItem[] = [];
  for (let i = 0; i < n; i++) {
    const day = String(1 + Math.floor(i / GENRES.length)).padStart(2, '0');
    const genre = GENRES[i % GENRES.length] ?? 'pop';
    items.push(makeItem(`2024-06-${day}`, genre, rand));
  }
  return items;
}

/** The KPI attributes of an item (written or read back) with every number as a string. */
export function kpiFields(item: KpiItem | StoredKpiItem): StoredKpiItem {
  return {
    date: item.date,
    track_genre: item.track_genre,
    listen_count: String(item.listen_count),
    unique_listeners: String(item.unique_listeners),
    total_listening_time: String(item.total_listening_time),
    avg_listening_time_per_user: item.avg_listening_time_per_user,
    top_3_songs: item.top_3_songs,
    top_songs: item.top_songs.map((s) => ({
      track_id: s.track_id,
      track_name: s.track_name,
      listen_count: String(s.listen_count),
    })),
    top_5_genres: item.top_5_genres,
  };
}

/** What `readKpiItems` must return for an item written as `item`. */
export function expectedStored(item: KpiItem): StoredKpiItem {
  const stored = kpiFields(item);
  return {
    ...stored,
    ...(item.updated_at === undefined ? {} : { updated_at: item.updated_at }),
    ...(item.version === undefined ? {} : { version: String(item.version) }),
  };
}

/** Sorts like `readKpiItems` does. */
export function byKey<T extends { date: string; track_genre: string }>(a: T, b: T): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  return a.track_genre < b.track_genre ? -1 : a.track_genre > b.track_genre ? 1 : 0;
}

/** Asserts that the table holds exactly `items` as written (read back in key order). */
export async function assertTableHolds(
  client: Parameters<typeof readKpiItems>[0],
  tableName: string,
  items: readonly KpiItem[],
): Promise<void> {
  assert.deepEqual(await readKpiItems(client, tableName), items.map(expectedStored).sort(byKey));
}

/** Retry delays of a writer short enough for tests that make it retry on purpose. */
export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 4 } as const;

/** The key of an item or key-like record (what a writer lists of the items it did not write). */
export function keyOf(item: { readonly date: string; readonly track_genre: string }): {
  date: string;
  track_genre: string;
} {
  return { date: item.date, track_genre: item.track_genre };
}

/** The `BatchWriteError` that `write` rejects with (fails the test when it resolves or rejects with anything else). */
export async function batchWriteErrorOf(write: Promise<unknown>): Promise<BatchWriteError> {
  const error = await write.then(
    () => assert.fail('expected a BatchWriteError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof BatchWriteError, `expected a BatchWriteError, got ${String(error)}`);
  return error;
}
