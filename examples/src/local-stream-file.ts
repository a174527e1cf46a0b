/**
 * One local stream file → its KPI state and counters: composed on the
 * pipeline builder on this thread, or sent to a worker-thread pool.
 */
import { createReadStream } from 'node:fs';
import {
  type AggregatePool,
  aggregateDailyKpis,
  type DeadLetterSink,
  type JoinMetrics,
  joinSongs,
  type KpiState,
  parseFile,
  pipeline,
  RunMetrics,
  type SongsTable,
  type SourceCounts,
  type UsersTable,
  unprocessableFile,
  validateRows,
} from '@streamkpi/core';
import { sourceOf } from './local-dataset.js';

/** What happened to one stream file. */
export interface LocalFileOutcome {
  /** Path relative to the input folder, `/`-separated. */
  readonly file: string;
  /**
   * `processed`: aggregated; `rejected`: unprocessable — empty, or the
   * header lacks a required column (not
   * aggregated); `failed`: unreadable or malformed, see `error`.
   */
  readonly status: 'processed' | 'rejected' | 'failed';
  readonly counts: SourceCounts;
  readonly error?: unknown;
}

/** What {@link aggregateLocalStreamFile} needs besides the path. */
export interface LocalStreamFileContext {
  readonly input: string;
  /** When given, the file is parsed and aggregated on one of its threads. */
  readonly pool?: AggregatePool;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly deadLetter: DeadLetterSink;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners?: 'exact' | 'hll';
  readonly signal?: AbortSignal;
}

/** Result of {@link aggregateLocalStreamFile}. */
export interface LocalStreamFileResult {
  readonly outcome: LocalFileOutcome;
  /** The file's state (when processed). */
  readonly state?: KpiState;
  /** The file's own counters (rows, rejects, unknown users). */
  readonly metrics: RunMetrics;
  readonly unknownUserRows: number;
  /** When the pool thread that read it had loaded its module (epoch ms; pooled files only). */
  readonly threadReadyAtMs?: number;
}

/**
 * One stream file → its KPI state, with its own counters. Never throws for
 * a bad file: an empty file or a missing column gives `rejected`, any other error `failed`
 * (an abort is rethrown).
 */
export async function aggregateLocalStreamFile(
  path: string,
  context: LocalStreamFileContext,
): Promise<LocalStreamFileResult> {
  const source = sourceOf(context.input, path);
  const metrics = new RunMetrics();
  const joinMetrics: JoinMetrics = { joined: 0, unknownTracks: 0, unknownUsers: 0 };
  try {
    if (context.pool !== undefined) {
      const pooled = await context.pool.aggregate(
        source,
        { path },
        { deadLetter: context.deadLetter, ...(context.signal ? { signal: context.signal } : {}) },
      );
      metrics.addCounts(source, pooled.counts);
      metrics.addStages(pooled.stages);
      metrics.addBytes(pooled.bytesRead);
      metrics.peakRssBytes = Math.max(metrics.peakRssBytes, pooled.peakRssBytes);
      metrics.stop();
      return {
        outcome: { file: source.key, status: 'processed', counts: metrics.source(source) },
        state: pooled.state,
        metrics,
        unknownUserRows: pooled.unknownUsers,
        threadReadyAtMs: pooled.thread.moduleLoadedAtMs,
      };
    }
    const { deadLetter, songs, users } = context;
    const { value: state } = await pipeline(createReadStream(path))
      .through(parseFile({ source, dataset: 'streams' }), 'parse')
      .through(validateRows({ dataset: 'streams', deadLetter }))
      .through(joinSongs({ songs, deadLetter, metrics: joinMetrics, ...(users ? { users } : {}) }))
      .to(
        aggregateDailyKpis({
          timeZone: context.timeZone,
          sourceTimeZone: context.sourceTimeZone,
          ...(context.uniqueListeners ? { uniqueListeners: context.uniqueListeners } : {}),
        }),
      )
      .run({ metrics, ...(context.signal ? { signal: context.signal } : {}) });
    const counts = metrics.source(source);
    metrics.stop();
    return {
      outcome: { file: source.key, status: 'processed', counts },
      state,
      metrics,
      unknownUserRows: joinMetrics.unknownUsers,
    };
  } catch (error) {
    context.signal?.throwIfAborted();
    metrics.stop();
    return {
      outcome: {
        file: source.key,
        status: unprocessableFile(error) === undefined ? 'failed' : 'rejected',
        counts: metrics.source(source),
        error,
      },
      metrics,
      unknownUserRows: 0,
    };
  }
}
