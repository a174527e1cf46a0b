/**
 * One stream object, bytes to mergeable KPI state: parse → validate → join →
 * aggregate, with every row counted as aggregated or rejected. The unit of
 * work of the runners (local, S3, Lambda, worker threads).
 */
import { z } from 'zod';
import { aggregateDailyKpis, createAggregateMetrics } from '../aggregate/aggregate-daily-kpis.js';
import { KpiFolder } from '../aggregate/internal/kpi-folder.js';
import { createKpiState, type KpiState } from '../aggregate/kpi-state.js';
import { ZoneClock } from '../aggregate/zone.js';
import type { DeadLetterEntry, DeadLetterSink } from '../dead-letter/dead-letter.js';
import { parseOptions } from '../internal/options.js';
import { createJoinMetrics, type JoinMetrics, joinSongs } from '../join/join-songs.js';
import { SongsTable } from '../join/songs-table.js';
import { UsersTable } from '../join/users-table.js';
import { RunMetrics, type SourceCounts } from '../metrics.js';
import type { ByteSource } from '../parse/internal/bytes.js';
import { DEFAULT_MAX_ROW_BYTES } from '../parse/internal/parse-options.js';
import { detectFormat, parseFile } from '../parse/parse-file.js';
import type { SourceRef } from '../types.js';
import { listenTimeWindowSchema } from '../validate/schemas.js';
import { validateRows } from '../validate/validate-rows.js';
import { foldStreamCsv } from './internal/stream-csv-fused.js';

const isDeadLetterSink = (v: unknown): v is DeadLetterSink =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as DeadLetterSink).write === 'function' &&
  typeof (v as DeadLetterSink).close === 'function';

/** Options of {@link aggregateStreamFile}. */
export const aggregateStreamFileOptionsSchema = z.object({
  /** The object being read. */
  source: z.custom<SourceRef>(
    (v) => typeof v === 'object' && v !== null && typeof (v as SourceRef).id === 'string',
    { message: 'Expected `source` to be a SourceRef `{ id, key }`' },
  ),
  /** Songs lookup (see `loadSongsTable`). */
  songs: z.instanceof(SongsTable, { message: 'Expected `songs` to be a SongsTable' }),
  /** Users lookup; unknown users are counted, not rejected. */
  users: z.instanceof(UsersTable, { message: 'Expected `users` to be a UsersTable' }).optional(),
  /** Where rejected rows go. Not closed here: the caller owns it. */
  deadLetter: z.custom<DeadLetterSink>(isDeadLetterSink, {
    message: 'Expected `deadLetter` to be a DeadLetterSink `{ write(entries), close() }`',
  }),
  /** Run counters to add to; default a fresh one. */
  metrics: z.instanceof(RunMetrics).optional(),
  /** Join counters (unknown users) to add to; default a fresh one. */
  joinMetrics: z.custom<JoinMetrics>((v) => typeof v === 'object' && v !== null).optional(),
  /** IANA zone of the KPI date. Default `UTC`. */
  timeZone: z.string().default('UTC'),
  /** IANA zone of zone-less `listen_time`s. Default `UTC`. */
  sourceTimeZone: z.string().default('UTC'),
  /**
   * Accepted `listen_time` instants `{ from?, to? }` (default 2000-01-01 to
   * one day after now); rows outside → `listen_time_out_of_range`.
   */
  listenTimeWindow: listenTimeWindowSchema.optional(),
  /** Exact (default) or HyperLogLog unique listeners. */
  uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
  /** Format; default from the key suffix. */
  format: z.enum(['csv', 'ndjson', 'json']).optional(),
  /** Longest row in bytes. Default 4 MiB. */
  maxRowBytes: z.number().int().positive().optional(),
  /**
   * How CSV objects are read: `'fused'` (default) tokenizes, validates,
   * joins and aggregates in one loop without an object per good row;
   * `'stages'` composes parseFile → validateRows → joinSongs →
   * aggregateDailyKpis. Both give the same state, counts and dead letters.
   * NDJSON and JSON always use the stages.
   */
  csvPath: z.enum(['fused', 'stages']).default('fused'),
  signal: z.instanceof(AbortSignal).optional(),
});

/** Options of {@link aggregateStreamFile}. */
export type AggregateStreamFileOptions = z.input<typeof aggregateStreamFileOptionsSchema>;

/** Result of {@link aggregateStreamFile}. */
export interface StreamFileResult {
  /** The object's contribution: mergeable, serializable. */
  readonly state: KpiState;
  /** Its row counts; `rowsRead === rowsAggregated + rowsRejected`. */
  readonly counts: SourceCounts;
}

/**
 * Reads one stream object into a fresh {@link KpiState}. A file whose header
 * lacks a required column fails with `HeaderError` before any row is counted
 * (the caller moves it to `rejected/`); any other error rejects the promise
 * with the first error, after every stage was torn down.
 */
export async function aggregateStreamFile(
  bytes: ByteSource,
  options: AggregateStreamFileOptions,
): Promise<StreamFileResult> {
  const opts = parseOptions('aggregateStreamFile', aggregateStreamFileOptionsSchema, options);
  const metrics = opts.metrics ?? new RunMetrics();
  const { source, signal } = opts;
  const context = { signal: signal ?? new AbortController().signal };
  if (opts.csvPath === 'fused' && (opts.format ?? detectFormat(source.key)) === 'csv') {
    const state = createKpiState({ uniqueListeners: opts.uniqueListeners });
    const rowsAggregated = await foldStreamCsv(bytes, {
      source,
      songs: opts.songs,
      users: opts.users,
      deadLetter: opts.deadLetter,
      metrics,
      joinMetrics: opts.joinMetrics ?? createJoinMetrics(),
      folder: new KpiFolder(state, opts.songs, new ZoneClock(opts.timeZone)),
      sourceClock: new ZoneClock(opts.sourceTimeZone),
      maxRowBytes: opts.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES,
      signal: context.signal,
      listenTimeWindow: opts.listenTimeWindow,
    });
    metrics.addAggregated(source, rowsAggregated);
    metrics.sampleMemory();
    return { state, counts: metrics.source(source) };
  }
  const parse = parseFile({
    source,
    dataset: 'streams',
    metrics,
    ...(opts.format === undefined ? {} : { format: opts.format }),
    ...(opts.maxRowBytes === undefined ? {} : { maxRowBytes: opts.maxRowBytes }),
  });
  const validate = validateRows({
    dataset: 'streams',
    deadLetter: opts.deadLetter,
    metrics,
    ...(options.listenTimeWindow === undefined
      ? {}
      : { listenTimeWindow: options.listenTimeWindow }),
  });
  // Rows the join rejects (unknown_track) are counted here, so the run
  // metrics keep rowsRead = rowsAggregated + rowsRejected.
  const joinDeadLetter: DeadLetterSink = {
    write: async (entries: readonly DeadLetterEntry[]) => {
      for (const e of entries) metrics.addRejected(e.source, e.reasons[0]?.reason ?? 'unknown');
      await opts.deadLetter.write(entries);
    },
    close: async () => {},
  };
  const join = joinSongs({
    songs: opts.songs,
    deadLetter: joinDeadLetter,
    metrics: opts.joinMetrics ?? createJoinMetrics(),
    ...(opts.users === undefined ? {} : { users: opts.users }),
  });
  const aggregateMetrics = createAggregateMetrics();
  const aggregate = aggregateDailyKpis({
    timeZone: opts.timeZone,
    sourceTimeZone: opts.sourceTimeZone,
    uniqueListeners: opts.uniqueListeners,
    metrics: aggregateMetrics,
  });
  const state = await aggregate(join(validate(parse(bytes, context), context), context), context);
  metrics.addAggregated(source, aggregateMetrics.rowsAggregated);
  metrics.sampleMemory();
  return { state, counts: metrics.source(source) };
}
