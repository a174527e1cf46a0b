/**
 * The KPI aggregator (SPEC section 4): folds joined listens into a mergeable
 * {@link KpiState}, one cell per calendar date (in `timeZone`) × genre. A
 * listen of a track listed under k genres counts once in each.
 *
 * Hot path: no allocation per row except new cells/dictionary entries;
 * timestamps parsed by hand; zone offsets cached per 15-minute bucket
 * ({@link ZoneClock}); genres and tracks mapped through typed arrays.
 */
import { z } from 'zod';
import { OptionsError, PipelineError } from './errors.js';
import { parseKpiOptions } from './internal/kpi-options.js';
import { listenTimeToUtc } from './internal/kpi-time.js';
import type { JoinedListen } from './join-songs.js';
import { createKpiState, type KpiCell, KpiState } from './kpi-state.js';
import type { SongsTable } from './songs-table.js';
import { parseTimestampParts } from './time.js';
import type { Batch, StageContext } from './types.js';
import { ZoneClock } from './zone.js';

/** Counters an {@link aggregateDailyKpis} consumer adds to (for the run summary). */
export interface AggregateMetrics {
  /** Joined rows folded into the state. */
  rowsAggregated: number;
  /** Rows folded per source (by `SourceRef.id`), for per-object conservation checks. */
  readonly rowsBySource: Map<string, number>;
}

/** Creates zeroed {@link AggregateMetrics}. */
export function createAggregateMetrics(): AggregateMetrics {
  return { rowsAggregated: 0, rowsBySource: new Map() };
}

/** Options of {@link aggregateDailyKpis}. */
export const AggregateDailyKpisOptionsSchema = z.object({
  /** IANA zone whose calendar date buckets each listen. Default `'UTC'`. */
  timeZone: z.string().default('UTC'),
  /** IANA zone in which zone-less `listen_time`s are read. Default `'UTC'`. */
  sourceTimeZone: z.string().default('UTC'),
  /** `'exact'` (default) or `'hll'` (HyperLogLog, ≈1.6 % std error at precision 12). */
  uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
  /** HyperLogLog precision, 4–16. Default 12. */
  hllPrecision: z.number().int().min(4).max(16).default(12),
  /** A state to fold into (modified in place) instead of a new one. */
  state: z
    .custom<KpiState>((v) => v instanceof KpiState, {
      message: 'Expected `state` to be a KpiState',
    })
    .optional(),
  /** Counters to add to. */
  metrics: z
    .custom<AggregateMetrics>(
      (v) =>
        typeof v === 'object' && v !== null && (v as AggregateMetrics).rowsBySource instanceof Map,
      {
        message: 'Expected `metrics` to be an AggregateMetrics object (see createAggregateMetrics)',
      },
    )
    .optional(),
});

/** Options of {@link aggregateDailyKpis}. */
export type AggregateDailyKpisOptions = z.input<typeof AggregateDailyKpisOptionsSchema>;

/** Per songs table: its genre and pair numbers → the state's. */
interface TableMap {
  readonly genre: Int32Array;
  readonly pair: Int32Array;
}

/**
 * Creates the aggregating consumer: call it with the joined batches (e.g. the
 * output of `joinSongs`); it resolves to the state once the source ends.
 *
 * @throws OptionsError for invalid options (including unknown time zones), before any I/O.
 */
export function aggregateDailyKpis(
  options: AggregateDailyKpisOptions = {},
): (
  source: AsyncIterable<Batch<JoinedListen>> | Iterable<Batch<JoinedListen>>,
  context?: StageContext,
) => Promise<KpiState> {
  const opts = parseKpiOptions('aggregateDailyKpis', AggregateDailyKpisOptionsSchema, options);
  // Validate zones now (throws OptionsError) so bad options fail before I/O.
  new ZoneClock(opts.timeZone);
  new ZoneClock(opts.sourceTimeZone);
  if (opts.state !== undefined && opts.state.mode !== opts.uniqueListeners) {
    throw new OptionsError(
      `\`state\` counts unique listeners as '${opts.state.mode}' but \`uniqueListeners\` is '${opts.uniqueListeners}'`,
    );
  }
  return async (source, context) => {
    const signal = context?.signal;
    const clock = new ZoneClock(opts.timeZone);
    const sourceClock = new ZoneClock(opts.sourceTimeZone);
    const state =
      opts.state ??
      createKpiState({ uniqueListeners: opts.uniqueListeners, hllPrecision: opts.hllPrecision });
    const metrics = opts.metrics;
    const maps = new Map<SongsTable, TableMap>();
    let songs: SongsTable | undefined;
    let map: TableMap = { genre: new Int32Array(0), pair: new Int32Array(0) };
    let lastDay = Number.NaN;
    let cells: (KpiCell | undefined)[] = [];
    let lastSourceId = '';
    let sourceRows = 0;
    const flushSource = () => {
      if (metrics !== undefined && sourceRows > 0) {
        metrics.rowsBySource.set(
          lastSourceId,
          (metrics.rowsBySource.get(lastSourceId) ?? 0) + sourceRows,
        );
      }
      sourceRows = 0;
    };

    for await (const batch of source) {
      signal?.throwIfAborted();
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i]!;
        if (row.songs !== songs) {
          songs = row.songs;
          let m = maps.get(songs);
          if (m === undefined) {
            m = {
              genre: new Int32Array(songs.genres.length).fill(-1),
              pair: new Int32Array(songs.pairGenre.length).fill(-1),
            };
            maps.set(songs, m);
          }
          map = m;
        }
        if (metrics !== undefined && row.source.id !== lastSourceId) {
          flushSource();
          lastSourceId = row.source.id;
        }
        sourceRows++;
        let utc = listenTimeToUtc(row.listenTime, sourceClock);
        if (Number.isNaN(utc)) utc = strictUtc(row, sourceClock);
        const day = clock.dayOf(utc);
        if (day !== lastDay) {
          cells = state.dayCells(day);
          lastDay = day;
        }
        const userId = row.userId;
        const t = row.track;
        const { pairStart, pairGenre, pairDuration } = songs;
        const end = pairStart[t + 1]!;
        for (let p = pairStart[t]!; p < end; p++) {
          const sg = pairGenre[p]!;
          let g = map.genre[sg]!;
          if (g < 0) {
            g = state.internGenre(songs.genres[sg]!);
            map.genre[sg] = g;
          }
          let cell = cells[g];
          if (cell === undefined) {
            cell = state.newCell();
            cells[g] = cell;
          }
          cell.listens++;
          cell.totalMs += pairDuration[p]!;
          cell.users.add(userId);
          let st = map.pair[p]!;
          if (st < 0) {
            st = state.internTrack(songs.trackIds[t]!, songs.pairName[p]!);
            map.pair[p] = st;
          }
          cell.tracks.add(st, 1);
        }
      }
      if (metrics !== undefined) metrics.rowsAggregated += batch.length;
    }
    flushSource();
    return state;
  };
}

function strictUtc(row: JoinedListen, sourceClock: ZoneClock): number {
  const parts = parseTimestampParts(row.listenTime);
  if (parts === undefined) {
    throw new PipelineError(
      'INVALID_LISTEN_TIME',
      `Invalid listen_time ${JSON.stringify(row.listenTime)}`,
      {
        source: row.source,
        line: row.line,
      },
    );
  }
  return parts.offsetMinutes === undefined
    ? sourceClock.wallToUtc(parts.wallMs)
    : parts.wallMs - parts.offsetMinutes * 60_000;
}
