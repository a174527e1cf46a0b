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
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { z } from 'zod';
import type { KpiState } from '../aggregate/kpi-state.js';
import { HeaderError, OptionsError, ParseError, PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import { SongsTable } from '../join/songs-table.js';
import { UsersTable } from '../join/users-table.js';
import type { SourceRef } from '../types.js';
import { listenTimeWindowSchema } from '../validate/schemas.js';
import type {
  AggregatePool,
  PoolAggregateOptions,
  PooledAggregate,
  PooledObject,
  PooledPartials,
} from './aggregate-pool-api.js';
import { relayDeadLetters } from './internal/dead-letter-relay.js';
import { kpiStateFromTransfer } from './internal/kpi-transfer.js';
import type {
  PoolMergeResult,
  PoolMergeTask,
  PoolTask,
  PoolTaskResult,
  PoolWorkerData,
} from './internal/pool-protocol.js';
import { defaultPoolResourceLimits } from './internal/resource-limits.js';
import { songsTableData } from './internal/table-transfer.js';
import { poolTasks } from './internal/task-deadline.js';

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
  /**
   * Deadline of each task (one object, or one merge), in ms: past it the task
   * fails with a `PipelineError` `POOL_TASK_TIMEOUT` (its message names the object)
   * and its thread is stopped and replaced. Default 900000 (15 minutes, the
   * longest a Lambda invocation lives).
   */
  taskTimeoutMs: z.number().int().min(1).max(2_147_483_647).default(900_000),
  /**
   * Called whenever a thread reports progress on an object (rows or bytes
   * read, at most about once a second, or a dead-letter batch) — only for
   * calls with a `deadLetter` sink. For watchdogs: a thread that reads is not stuck.
   */
  onProgress: z
    .custom<(source: SourceRef) => void>((v) => typeof v === 'function', {
      message: 'Expected `onProgress` to be a function',
    })
    .optional(),
  resourceLimits: z
    .object({
      maxYoungGenerationSizeMb: z.number().positive().optional(),
      maxOldGenerationSizeMb: z.number().positive().optional(),
      codeRangeSizeMb: z.number().positive().optional(),
      stackSizeMb: z.number().positive().optional(),
    })
    .optional(),
});

export { defaultPoolResourceLimits, type PoolResourceLimits } from './internal/resource-limits.js';

/** Options of {@link createAggregatePool}. */
export type AggregatePoolOptions = z.input<typeof aggregatePoolOptionsSchema>;

export type {
  AggregatePool,
  DatePartial,
  PoolAggregateOptions,
  PooledAggregate,
  PooledObject,
  PooledPartials,
} from './aggregate-pool-api.js';

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
  const tasks = poolTasks(threads, o.taskTimeoutMs);
  async function aggregate(
    source: SourceRef,
    input: unknown,
    callOptions: PoolAggregateOptions = {},
  ): Promise<PooledAggregate | PooledPartials> {
    const result = await tasks.run(
      source.id,
      callOptions.signal,
      async (signal, started) => {
        const sink = callOptions.deadLetter;
        const channel = sink === undefined ? undefined : new MessageChannel();
        const onProgress = o.onProgress && (() => o.onProgress?.(source));
        const relay =
          channel === undefined
            ? undefined
            : relayDeadLetters(channel.port1, sink!, onProgress, started);
        try {
          const done = (await pool.run(
            {
              source,
              input,
              ...(callOptions.result === undefined ? {} : { result: callOptions.result }),
              ...(channel === undefined ? {} : { deadLetterPort: channel.port2 }),
            },
            { signal, ...(channel === undefined ? {} : { transferList: [channel.port2] }) },
          )) as PoolTaskResult;
          // Every batch the thread sent is written before the outcome is known.
          await relay?.done();
          return done;
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
        // A thread with a port says when it takes the task up: its deadline starts then.
      },
      callOptions.deadLetter !== undefined,
    );
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
    const result = await tasks.run(
      'merge',
      callOptions.signal,
      async (signal, started) => {
        const channel = new MessageChannel();
        channel.port1.once('message', started);
        try {
          const task: PoolMergeTask = { kind: 'merge', states, startPort: channel.port2 };
          return (await pool.run(task, {
            signal,
            transferList: [channel.port2],
          })) as PoolMergeResult;
        } finally {
          channel.port1.close();
        }
      },
      true,
    );
    if (!result.ok) {
      const { code, message } = result.error;
      throw new PipelineError(code, message);
    }
    return kpiStateFromTransfer(result.state, o.songs.trackDictionary());
  }
  return {
    threads,
    aggregate: aggregate as AggregatePool['aggregate'],
    merge,
    pending: () => tasks.pending(),
    async close() {
      await pool.close();
    },
  };
}
