/**
 * Shared fixtures for the KPI tests: a small songs catalogue, a collecting
 * dead-letter sink, row wrappers, and `runKpis` (join → aggregate) over
 * plain arrays.
 */
import {
  type AggregateDailyKpisOptions,
  aggregateDailyKpis,
  type DeadLetterEntry,
  type DeadLetterSink,
  type JoinMetrics,
  joinSongs,
  type KpiState,
  pipeline,
  type SongRow,
  type SongsTable,
  type SourceRef,
  type StreamBatch,
  type StreamRow,
  songsTableFromRows,
  type UsersTable,
} from '../../src/index.js';
import { rowAcceptors } from '../../src/validate/row-acceptors.js';

/**
 * A small songs catalogue with what a songs table must handle: a track in
 * two genres under two names (`t1`), an empty name (`t2`), a zero duration
 * (`t3`), an id longer than 13 characters and an id outside the BMP.
 */
export const SONGS = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'Uno', duration_ms: 1100, track_genre: 'rock' },
  { track_id: 't2', track_name: '', duration_ms: 2000, track_genre: 'pop' },
  { track_id: 't3', track_name: 'Three', duration_ms: 0, track_genre: 'rock' },
  { track_id: 'trackidlongerthan13', track_name: 'Long', duration_ms: 3000, track_genre: 'jazz' },
  { track_id: 'Ａ😀', track_name: 'Wide 😀', duration_ms: 3000, track_genre: 'jazz' },
]);

/** The `[genre, name, duration]` pairs of track `id` in a songs table, in table order. */
export function trackPairs(table: SongsTable, id: string): [string, string, number][] {
  const t = table.trackOf(id);
  const pairs: [string, string, number][] = [];
  for (let p = table.pairStart[t]!; p < table.pairStart[t + 1]!; p++) {
    pairs.push([table.genres[table.pairGenre[p]!]!, table.pairName[p]!, table.pairDuration[p]!]);
  }
  return pairs;
}

/** A dead-letter sink that keeps entries in an array. */
export class CollectingSink implements DeadLetterSink {
  readonly entries: DeadLetterEntry[] = [];
  closed = false;
  async write(entries: readonly DeadLetterEntry[]): Promise<void> {
    this.entries.push(...entries);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A source reference for tests. */
export function sourceRef(key: string): SourceRef {
  return { id: `test://${key}`, key };
}

/** Stream rows as validated batches of `source`, lines from 2, of `size` rows. */
export function streamBatches(
  rows: readonly StreamRow[],
  source: SourceRef = sourceRef('streams.csv'),
  size = 3,
): StreamBatch[] {
  const out: StreamBatch[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const batch = rowAcceptors.streams.create(source);
    rows.slice(i, i + size).forEach((value, j) => {
      rowAcceptors.streams.push(batch, value, i + j + 2);
    });
    out.push(batch);
  }
  return out;
}

/** An async iterable over `items`. */
export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Options of {@link runKpis}. */
export interface RunKpisOptions extends AggregateDailyKpisOptions {
  readonly users?: UsersTable;
  readonly joinMetrics?: JoinMetrics;
  readonly table?: SongsTable;
}

/** Joins and aggregates `streams` against `songs`; returns the state and the dead letters. */
export async function runKpis(
  songs: readonly SongRow[],
  streams: readonly StreamRow[],
  options: RunKpisOptions = {},
): Promise<{ state: KpiState; deadLetters: DeadLetterEntry[] }> {
  const { users, joinMetrics, table, ...aggregateOptions } = options;
  const sink = new CollectingSink();
  const join = joinSongs({
    songs: table ?? songsTableFromRows(songs),
    deadLetter: sink,
    ...(users === undefined ? {} : { users }),
    ...(joinMetrics === undefined ? {} : { metrics: joinMetrics }),
  });
  const { value: state } = await pipeline(fromArray(streamBatches(streams)))
    .through(join)
    .to(aggregateDailyKpis(aggregateOptions))
    .run();
  return { state, deadLetters: sink.entries };
}
