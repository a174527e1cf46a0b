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
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { z } from 'zod';
import { type KpiState, KpiStateError } from '../aggregate/kpi-state.js';
import type { DeadLetterEntry, DeadLetterSink } from '../dead-letter/dead-letter.js';
import { HeaderError, OptionsError, ParseError, PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import { SongsTable } from '../join/songs-table.js';
import { UsersTable } from '../join/users-table.js';
import type { SourceCounts, StageMetrics } from '../metrics.js';
import type { SourceRef } from '../types.js';
import { listenTimeWindowSchema } from '../validate/schemas.js';
import { kpiStateFromTransfer } from './internal/kpi-transfer.js';
import {
  DEAD_LETTER_ACK,
  type DeadLetterMessage,
  type PoolMergeResult,
  type PoolMergeTask,
  type PoolResultKind,
  type PoolTask,
  type PoolTaskResult,
  type PoolWorkerData,
} from './internal/pool-protocol.js';
import { songsTableData } from './internal/table-transfer.js';

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
   * Accepted `listen_time` instants `{ from?, to? }` (default 2000-01-01 to
   * one day after now, read on each thread); outside → `listen_time_out_of_range`.
   */
  listenTimeWindow: listenTimeWindowSchema.optional(),
  /**
   * URL of the worker module: its default export is
   * `createAggregateWorkerTask(openBytes)`. Default: core's local-file worker
   * (task input `{ path }`).
   */
  workerFile: z.union([z.string(), z.instanceof(URL)]).optional(),
  /**
   * V8 heap limits of each thread (`worker_threads` `resourceLimits`, in MB).
   * Default: a small young generation and an old generation sized from the
   * lookup tables ({@link defaultPoolResourceLimits}) — a thread's live heap
   * is its tables plus a few batches, and without limits V8 lets garbage grow
   * the heap far beyond that. A thread that runs out fails its object with
   * `POOL_OUT_OF_MEMORY`.
   */
  resourceLimits: z
    .object({
      maxYoungGenerationSizeMb: z.number().positive().optional(),
      maxOldGenerationSizeMb: z.number().positive().optional(),
      codeRangeSizeMb: z.number().positive().optional(),
      stackSizeMb: z.number().positive().optional(),
    })
    .optional(),
});

/** Heap limits of a pool thread, in MB (see `worker_threads` `ResourceLimits`). */
export interface PoolResourceLimits {
  readonly maxYoungGenerationSizeMb?: number;
  readonly maxOldGenerationSizeMb?: number;
  readonly codeRangeSizeMb?: number;
  readonly stackSizeMb?: number;
}

const MIB = 1024 * 1024;

/**
 * The default heap limits of a pool thread for these tables: a 4 MB young
 * generation (rows are short-lived: scavenges stay cheap) and an old
 * generation of 96 MB plus twice the tables' size (their copy on the thread
 * and room to collect).
 */
export function defaultPoolResourceLimits(
  songs: SongsTable,
  users?: UsersTable,
): PoolResourceLimits {
  const tableBytes = songs.stats.approxBytes + (users?.stats.approxBytes ?? 0);
  return {
    maxYoungGenerationSizeMb: 4,
    maxOldGenerationSizeMb: 96 + Math.ceil((2 * tableBytes) / MIB),
  };
}

/** Options of {@link createAggregatePool}. */
export type AggregatePoolOptions = z.input<typeof aggregatePoolOptionsSchema>;

/** What every pooled object's result holds besides the KPI data. */
export interface PooledObject {
  readonly source: SourceRef;
  /** `rowsRead === rowsAggregated + rowsRejected`. */
  readonly counts: SourceCounts;
  readonly bytesRead: number;
  readonly unknownUsers: number;
  /**
   * Rejected rows, in file order, for the caller's dead-letter sink — empty
   * when the call had a `deadLetter` sink (they were written to it).
   */
  readonly deadLetters: readonly DeadLetterEntry[];
  /** Peak RSS seen by the worker's process (shared by all threads). */
  readonly peakRssBytes: number;
  /** Per-stage counters of the object's pipeline (parse, validate, join, aggregate). */
  readonly stages: readonly StageMetrics[];
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
  /**
   * Where rejected rows go, written on this thread in file order while the
   * object is read (a thread holds at most a few batches of them), and all
   * written before `aggregate` resolves or rejects. Not closed here. Without
   * it, they are returned in `deadLetters` — as many as the object has.
   */
  readonly deadLetter?: DeadLetterSink;
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
  /**
   * Reads serialized KPI states (e.g. the stored partials of one date) and
   * merges them on a free thread: the string work of reading them stays off
   * this thread. The result is bound to the pool's songs table (it merges
   * with the pool's other states without string work) and owned by the
   * caller. Rejects with a `KpiStateError` (`KPI_STATE_CORRUPT`…) for bad
   * bytes, an `OptionsError` for no state at all.
   */
  merge(
    states: readonly Uint8Array[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<KpiState>;
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
 * Writes the dead-letter batches a thread posts on `port` to `sink`, one at a
 * time and in order, acking each. `done()` resolves once the thread's end
 * marker arrived (or the port closed: the thread exited or the task was
 * given up) and every batch was written, or rejects with the sink's first
 * error — it never stays pending on a thread that is gone.
 */
function relayDeadLetters(
  port: MessagePort,
  sink: DeadLetterSink,
): { done(): Promise<void>; drain(): Promise<void> } {
  let writes = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let ended!: () => void;
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  // A thread that exits or crashes closes its side: nothing more will come.
  port.once('close', () => ended());
  port.on('message', (message: DeadLetterMessage) => {
    if ('end' in message) {
      ended();
      return;
    }
    writes = writes.then(async () => {
      try {
        if (failure === undefined) await sink.write(message.entries);
      } catch (error) {
        failure = { error };
      }
      port.postMessage(DEAD_LETTER_ACK);
    });
  });
  return {
    async done() {
      await end;
      await writes;
      if (failure !== undefined) throw failure.error;
    },
    // The batches received so far are written (never rejects): a failed task
    // leaves no write running behind the caller's back.
    drain: () => writes,
  };
}

/**
 * Starts worker threads that each hold a copy of the lookup tables.
 *
 * @throws OptionsError for invalid options, before any thread starts.
 */
export function createAggregatePool(options: AggregatePoolOptions): AggregatePool {
  const o = parseOptions(aggregatePoolOptionsSchema, options, 'createAggregatePool');
  const threads = o.threads ?? availableParallelism();
  const workerData: PoolWorkerData = {
    songs: songsTableData(o.songs),
    ...(o.users === undefined ? {} : { userIds: o.users.ids() }),
    options: {
      timeZone: o.timeZone,
      sourceTimeZone: o.sourceTimeZone,
      uniqueListeners: o.uniqueListeners,
      ...(o.listenTimeWindow === undefined
        ? {}
        : {
            listenTimeWindow: {
              from: new Date(o.listenTimeWindow.fromMs),
              ...(o.listenTimeWindow.toMs === undefined
                ? {}
                : { to: new Date(o.listenTimeWindow.toMs) }),
            },
          }),
    },
  };
  const limits = o.resourceLimits ?? defaultPoolResourceLimits(o.songs, o.users);
  const pool = new Piscina<PoolTask | PoolMergeTask, PoolTaskResult | PoolMergeResult>({
    filename: String(o.workerFile ?? siblingModule(import.meta.url, './internal/file-worker')),
    minThreads: threads,
    maxThreads: threads,
    // One object at a time per thread: objects are large, queue in the main thread.
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData,
    resourceLimits: limits,
  });
  // A thread that fails outside a task (e.g. its module does not load) fails
  // the task it was given; piscina also emits it here, where an unheard
  // 'error' would end the process instead of the call.
  pool.on('error', () => undefined);
  async function aggregate(
    source: SourceRef,
    input: unknown,
    callOptions: PoolAggregateOptions = {},
  ): Promise<PooledAggregate | PooledPartials> {
    const sink = callOptions.deadLetter;
    const channel = sink === undefined ? undefined : new MessageChannel();
    const relay = channel === undefined ? undefined : relayDeadLetters(channel.port1, sink!);
    let result: PoolTaskResult;
    try {
      result = (await pool.run(
        {
          source,
          input,
          ...(callOptions.result === undefined ? {} : { result: callOptions.result }),
          ...(channel === undefined ? {} : { deadLetterPort: channel.port2 }),
        },
        {
          ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
          ...(channel === undefined ? {} : { transferList: [channel.port2] }),
        },
      )) as PoolTaskResult;
      // Every batch the thread sent is written before the outcome is known.
      await relay?.done();
    } catch (error) {
      await relay?.drain();
      if ((error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new PipelineError(
          'POOL_OUT_OF_MEMORY',
          `${source.id}: a pool thread ran out of heap (resourceLimits ${JSON.stringify(limits)}); give createAggregatePool larger resourceLimits`,
          { source, cause: error },
        );
      }
      throw error;
    } finally {
      channel?.port1.close();
    }
    if (!result.ok) {
      const { error } = result;
      if (error.missing !== undefined) {
        throw new HeaderError(error.missing, error.message, { source });
      }
      // A format error stays a ParseError: the caller quarantines the file.
      const Rebuilt = error.name === 'ParseError' ? ParseError : PipelineError;
      throw new Rebuilt(error.code, error.message, {
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
      stages: result.stages,
    };
    if (result.kind === 'partials-by-date') {
      const { dates, partials } = result;
      return { ...done, partials: dates.map((date, i) => ({ date, bytes: partials[i]! })) };
    }
    return { ...done, state: kpiStateFromTransfer(result.state, o.songs.trackDictionary()) };
  }
  async function merge(
    states: readonly Uint8Array[],
    callOptions: { readonly signal?: AbortSignal } = {},
  ): Promise<KpiState> {
    if (states.length === 0) {
      throw new OptionsError('AggregatePool.merge: expected at least one serialized state');
    }
    const result = (await pool.run(
      { kind: 'merge', states },
      callOptions.signal === undefined ? {} : { signal: callOptions.signal },
    )) as PoolMergeResult;
    if (!result.ok) {
      const { code, message } = result.error;
      throw code.startsWith('KPI_STATE_')
        ? new KpiStateError(code, message)
        : new PipelineError(code, message);
    }
    return kpiStateFromTransfer(result.state, o.songs.trackDictionary());
  }
  return {
    threads,
    aggregate: aggregate as AggregatePool['aggregate'],
    merge,
    async close() {
      await pool.close();
    },
  };
}
