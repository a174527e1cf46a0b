/**
 * Stream objects aggregated on worker threads (issue 6): each thread turns
 * whole objects into partial states and the caller merges them. A state
 * crosses threads cheaply — its typed arrays are moved and its track
 * entries are numbers into the songs table both threads hold — or, on
 * request, as the canonical per-date partials the exactly-once protocol
 * stores, made on the thread. Built on
 * piscina (a maintained worker-thread pool: queueing, abort, thread
 * lifecycle) rather than hand-written `worker_threads` plumbing.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { z } from 'zod';
import type { DeadLetterEntry } from './dead-letter.js';
import { HeaderError, PipelineError } from './errors.js';
import { kpiStateFromTransfer } from './internal/kpi-transfer.js';
import { parseOptions } from './internal/options.js';
import type {
  PoolResultKind,
  PoolTask,
  PoolTaskResult,
  PoolWorkerData,
} from './internal/pool-protocol.js';
import { songsTableData } from './internal/table-transfer.js';
import type { KpiState } from './kpi-state.js';
import type { SourceCounts } from './metrics.js';
import { SongsTable } from './songs-table.js';
import type { SourceRef } from './types.js';
import { UsersTable } from './users-table.js';

/** Options of {@link createAggregatePool}. */
export const aggregatePoolOptionsSchema = z.object({
  /** Songs lookup, sent once to every thread. */
  songs: z.instanceof(SongsTable, { message: 'Expected `songs` to be a SongsTable' }),
  /** Users lookup (unknown users are counted). */
  users: z.instanceof(UsersTable, { message: 'Expected `users` to be a UsersTable' }).optional(),
  /** Worker threads. Default: `os.availableParallelism()`. */
  threads: z.number().int().min(1).max(256).optional(),
  /** IANA zone of the KPI date. Default `UTC`. */
  timeZone: z.string().default('UTC'),
  /** IANA zone of zone-less `listen_time`s. Default `UTC`. */
  sourceTimeZone: z.string().default('UTC'),
  /** Exact (default) or HyperLogLog unique listeners. */
  uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
  /**
   * URL of the worker module: its default export is
   * `createAggregateWorkerTask(openBytes)`. Default: core's local-file worker
   * (task input `{ path }`).
   */
  workerFile: z.union([z.string(), z.instanceof(URL)]).optional(),
});

/** Options of {@link createAggregatePool}. */
export type AggregatePoolOptions = z.input<typeof aggregatePoolOptionsSchema>;

/** What every pooled object's result holds besides the KPI data. */
export interface PooledObject {
  readonly source: SourceRef;
  /** `rowsRead === rowsAggregated + rowsRejected`. */
  readonly counts: SourceCounts;
  readonly bytesRead: number;
  readonly unknownUsers: number;
  /** Rejected rows, in file order, for the caller's dead-letter sink. */
  readonly deadLetters: readonly DeadLetterEntry[];
  /** Peak RSS seen by the worker's process (shared by all threads). */
  readonly peakRssBytes: number;
}

/** One object's result from a worker thread, as a state (`result: 'state'`, the default). */
export interface PooledAggregate extends PooledObject {
  /**
   * The object's partial state, rebuilt on this thread over the pool's songs
   * table (merges with other states of that table without string work).
   * Owned by the caller: fold it into an accumulator with `mergeKpiStateInto`.
   */
  readonly state: KpiState;
}

/** One date's canonical partial of an object. */
export interface DatePartial {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** `serializeKpiState(pickKpiDates(state, [date]))` of the object's state. */
  readonly bytes: Uint8Array;
}

/** One object's result as per-date partials (`result: 'partials-by-date'`). */
export interface PooledPartials extends PooledObject {
  /** One per date with listens, dates ascending (as `kpiStateDates`). */
  readonly partials: readonly DatePartial[];
}

/** Per-call options of {@link AggregatePool.aggregate}. */
export interface PoolAggregateOptions {
  readonly signal?: AbortSignal;
  /** `'state'` (default) or `'partials-by-date'`. */
  readonly result?: PoolResultKind;
}

/** A pool of aggregating worker threads. */
export interface AggregatePool {
  readonly threads: number;
  /**
   * Aggregates one stream object on a free thread; `input` goes to the worker
   * module's `openBytes` (for the default worker: `{ path }` of a local
   * file). Rejects with the thread's error rebuilt (`HeaderError` for a bad
   * header, `PipelineError` with the original `code` otherwise).
   */
  aggregate(
    source: SourceRef,
    input: unknown,
    options?: PoolAggregateOptions & { readonly result?: 'state' },
  ): Promise<PooledAggregate>;
  /**
   * Same, but the thread also cuts the state into its canonical per-date
   * partials (`serializeKpiState(pickKpiDates(state, [date]))`), so this
   * thread only handles bytes.
   */
  aggregate(
    source: SourceRef,
    input: unknown,
    options: PoolAggregateOptions & { readonly result: 'partials-by-date' },
  ): Promise<PooledPartials>;
  /** Stops the threads (waits for running tasks). */
  close(): Promise<void>;
}

/**
 * URL of a module next to `base` (an `import.meta.url`), as `.ts` when
 * running from sources (tsx) and `.js` when built.
 */
export function siblingModule(base: string, path: string): string {
  const ext = base.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`${path}.${ext}`, base).href;
}

/**
 * Starts worker threads that each hold a copy of the lookup tables.
 *
 * @throws OptionsError for invalid options, before any thread starts.
 */
export function createAggregatePool(options: AggregatePoolOptions): AggregatePool {
  const o = parseOptions('createAggregatePool', aggregatePoolOptionsSchema, options);
  const threads = o.threads ?? availableParallelism();
  const workerData: PoolWorkerData = {
    songs: songsTableData(o.songs),
    ...(o.users === undefined ? {} : { userIds: o.users.ids() }),
    options: {
      timeZone: o.timeZone,
      sourceTimeZone: o.sourceTimeZone,
      uniqueListeners: o.uniqueListeners,
    },
  };
  const pool = new Piscina<PoolTask, PoolTaskResult>({
    filename: String(o.workerFile ?? siblingModule(import.meta.url, './internal/file-worker')),
    minThreads: threads,
    maxThreads: threads,
    // One object at a time per thread: objects are large, queue in the main thread.
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData,
  });
  async function aggregate(
    source: SourceRef,
    input: unknown,
    callOptions: PoolAggregateOptions = {},
  ): Promise<PooledAggregate | PooledPartials> {
    const result = await pool.run(
      {
        source,
        input,
        ...(callOptions.result === undefined ? {} : { result: callOptions.result }),
      },
      callOptions.signal === undefined ? {} : { signal: callOptions.signal },
    );
    if (!result.ok) {
      const { error } = result;
      if (error.missing !== undefined) {
        throw new HeaderError(error.missing, error.message, { source });
      }
      throw new PipelineError(error.code, error.message, {
        source,
        ...(error.line === undefined ? {} : { line: error.line }),
      });
    }
    const done: PooledObject = {
      source,
      counts: result.counts,
      bytesRead: result.bytesRead,
      unknownUsers: result.unknownUsers,
      deadLetters: result.deadLetters,
      peakRssBytes: result.peakRssBytes,
    };
    if (result.kind === 'partials-by-date') {
      const { dates, partials } = result;
      return { ...done, partials: dates.map((date, i) => ({ date, bytes: partials[i]! })) };
    }
    return { ...done, state: kpiStateFromTransfer(result.state, o.songs.trackDictionary()) };
  }
  return {
    threads,
    aggregate: aggregate as AggregatePool['aggregate'],
    async close() {
      await pool.close();
    },
  };
}
