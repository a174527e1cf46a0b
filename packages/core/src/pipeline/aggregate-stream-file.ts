/**
 * One stream object, bytes to mergeable KPI state: parse → validate → join →
 * aggregate, with every row counted as aggregated or rejected. The unit of
 * work of the runners (local, S3, Lambda, worker threads).
 */
import { z } from 'zod';
import { aggregateDailyKpis } from '../aggregate/aggregate-daily-kpis.js';
import type { KpiState } from '../aggregate/kpi-state.js';
import { deadLetterSinkSchema } from '../dead-letter/dead-letter.js';
import { parseOptions, sourceRefSchema } from '../internal/options.js';
import { type JoinMetrics, joinSongs } from '../join/join-songs.js';
import { SongsTable } from '../join/songs-table.js';
import { UsersTable } from '../join/users-table.js';
import { RunMetrics, type SourceCounts } from '../metrics.js';
import type { ByteSource } from '../parse/internal/bytes.js';
import { parseFile } from '../parse/parse-file.js';
import { listenTimeWindowSchema } from '../validate/schemas.js';
import { validateRows } from '../validate/validate-rows.js';
import { pipeline } from './pipeline.js';

/** Options of {@link aggregateStreamFile}. */
export const aggregateStreamFileOptionsSchema = z.object({
  /** The object being read. */
  source: sourceRefSchema,
  /** Songs lookup (see `loadSongsTable`). */
  songs: z.instanceof(SongsTable, { message: 'Expected `songs` to be a SongsTable' }),
  /** Users lookup; unknown users are counted, not rejected. */
  users: z.instanceof(UsersTable, { message: 'Expected `users` to be a UsersTable' }).optional(),
  /** Where rejected rows go. Not closed here: the caller owns it. */
  deadLetter: deadLetterSinkSchema,
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
  /** Most fields of a row; a row with more → `too_many_fields`. Default 10,000. */
  maxFields: z.number().int().positive().optional(),
  /** CSV engine: the built-in tokenizer (`'fast'`, default) or `'csv-parser'` (see `parseCsv`). */
  csvEngine: z.enum(['fast', 'csv-parser']).default('fast'),
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
 * Reads one stream object into a fresh {@link KpiState}:
 * `parseFile → validateRows → joinSongs → aggregateDailyKpis` on the
 * pipeline builder, whatever the format. A file whose header lacks a
 * required column fails with `HeaderError` before any row is counted (the
 * caller moves it to `rejected/`); any other error rejects the promise with
 * the first error, after every stage was torn down.
 */
export async function aggregateStreamFile(
  bytes: ByteSource,
  options: AggregateStreamFileOptions,
): Promise<StreamFileResult> {
  const opts = parseOptions(aggregateStreamFileOptionsSchema, options, 'aggregateStreamFile');
  const metrics = opts.metrics ?? new RunMetrics();
  const { source, signal, deadLetter, songs, users } = opts;
  const { value: state } = await pipeline(bytes)
    .through(
      parseFile({
        source,
        dataset: 'streams',
        engine: opts.csvEngine,
        ...(opts.format === undefined ? {} : { format: opts.format }),
        ...(opts.maxRowBytes === undefined ? {} : { maxRowBytes: opts.maxRowBytes }),
        ...(opts.maxFields === undefined ? {} : { maxFields: opts.maxFields }),
      }),
      'parse',
    )
    .through(
      validateRows({
        dataset: 'streams',
        deadLetter,
        ...(options.listenTimeWindow === undefined
          ? {}
          : { listenTimeWindow: options.listenTimeWindow }),
      }),
    )
    .through(
      joinSongs({
        songs,
        deadLetter,
        ...(users === undefined ? {} : { users }),
        ...(opts.joinMetrics === undefined ? {} : { metrics: opts.joinMetrics }),
      }),
    )
    .to(
      aggregateDailyKpis({
        timeZone: opts.timeZone,
        sourceTimeZone: opts.sourceTimeZone,
        uniqueListeners: opts.uniqueListeners,
      }),
    )
    .run({ metrics, ...(signal === undefined ? {} : { signal }) });
  metrics.sampleMemory();
  return { state, counts: metrics.source(source) };
}
