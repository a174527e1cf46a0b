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
import { OptionsError } from '../errors.js';
import type { JoinedListen } from '../join/join-songs.js';
import type { SongsTable } from '../join/songs-table.js';
import type { Batch, StageContext } from '../types.js';
import { fastListenUtc } from '../validate/internal/stream-row-fast.js';
import { KpiFolder } from './internal/kpi-folder.js';
import { parseKpiOptions } from './internal/kpi-options.js';
import { strictUtc } from './internal/kpi-time.js';
import { createKpiState, KpiState } from './kpi-state.js';
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
    const folders = new Map<SongsTable, KpiFolder>();
    let songs: SongsTable | undefined;
    let folder: KpiFolder | undefined;
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
        if (row.songs !== songs || folder === undefined) {
          songs = row.songs;
          folder = folders.get(songs);
          if (folder === undefined) {
            folder = new KpiFolder(state, songs, clock);
            folders.set(songs, folder);
          }
        }
        if (metrics !== undefined && row.source.id !== lastSourceId) {
          flushSource();
          lastSourceId = row.source.id;
        }
        sourceRows++;
        let utc = fastListenUtc(row.listenTime, sourceClock);
        if (Number.isNaN(utc)) utc = strictUtc(row, sourceClock);
        folder.fold(row.userId, row.track, utc);
      }
      if (metrics !== undefined) metrics.rowsAggregated += batch.length;
    }
    flushSource();
    return state;
  };
}
