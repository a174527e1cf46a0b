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
import type { SerializeKpiStateOptions } from '../aggregate/kpi-codec.js';
import type { KpiState } from '../aggregate/kpi-state.js';
import { HeaderError, OptionsError, ParseError, PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import { SongsTable } from '../join/songs-table.js';
import { UsersTable } from '../join/users-table.js';
import type { SourceRef } from '../types.js';
import type {
  AggregatePool,
  PoolAggregateOptions,
  PooledAggregate,
  PooledObject,
  PooledPartials,
  PoolMergeOptions,
  SerializedKpiMerge,
} from './aggregate-pool-api.js';
import {
  type AggregatePoolOptions,
  aggregatePoolOptionsSchema,
  type PoolTables,
} from './aggregate-pool-options.js';
import { relayDeadLetters } from './internal/dead-letter-relay.js';
import { kpiStateFromTransfer } from './internal/kpi-transfer.js';
import type {
  PoolMergeResult,
  PoolMergeTask,
  PoolTablesData,
  PoolTask,
  PoolTaskResult,
  PoolWorkerData,
} from './internal/pool-protocol.js';
import { defaultPoolResourceLimits } from './internal/resource-limits.js';
import { sharedUserIds, songsTableData } from './internal/table-transfer.js';
import { poolTasks } from './internal/task-deadline.js';

export type {
  AggregatePool,
  DatePartial,
  PoolAggregateOptions,
  PooledAggregate,
  PooledObject,
  PooledPartials,
  PoolThreadTimes,
  SerializedKpiMerge,
} from './aggregate-pool-api.js';
export {
  type AggregatePoolOptions,
  aggregatePoolOptionsSchema,
  type PoolTables,
} from './aggregate-pool-options.js';
export { defaultPoolResourceLimits, type PoolResourceLimits } from './internal/resource-limits.js';

/** The tables of a pool, checked, with the form its tasks carry. */
interface ReadyTables {
  readonly songs: SongsTable;
  readonly data: PoolTablesData;
}

async function readyTables(given: PromiseLike<PoolTables> | PoolTables): Promise<ReadyTables> {
  const { songs, users } = await given;
  if (!(songs instanceof SongsTable)) {
    throw new OptionsError('createAggregatePool: expected `tables` to give `songs`, a SongsTable');
  }
  if (users !== undefined && !(users instanceof UsersTable)) {
    throw new OptionsError('createAggregatePool: expected `tables` to give `users`, a UsersTable');
  }
  const data: PoolTablesData = {
    songs: songsTableData(songs),
    ...(users === undefined ? {} : { userIds: sharedUserIds(users) }),
  };
  return { songs, data };
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
 * Starts worker threads that each hold the lookup tables (on shared memory).
 * With `tables` (a promise), the threads start and load their module while
 * the tables load; calls wait for them.
 *
 * @throws OptionsError for invalid options, before any thread starts.
 */
export function createAggregatePool(options: AggregatePoolOptions): AggregatePool {
  const o = parseOptions(aggregatePoolOptionsSchema, options, 'createAggregatePool');
  const threads = o.threads ?? availableParallelism();
  const tables = readyTables(
    o.tables ?? { songs: o.songs as SongsTable, ...(o.users ? { users: o.users } : {}) },
  );
  // Heard by every call; a pool that never runs a call leaves no unhandled rejection.
  tables.catch(() => undefined);
  const workerData: PoolWorkerData = {
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
    const ready = await tables;
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
              tables: ready.data,
              source,
              input,
              ...(callOptions.result === undefined ? {} : { result: callOptions.result }),
              ...(callOptions.trackDictionary === undefined
                ? {}
                : { trackDictionary: callOptions.trackDictionary }),
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
      thread: result.thread,
    };
    if (result.kind === 'partials-by-date') {
      const { dates, partials } = result;
      return { ...done, partials: dates.map((date, i) => ({ date, bytes: partials[i]! })) };
    }
    return { ...done, state: kpiStateFromTransfer(result.state, ready.songs.trackDictionary()) };
  }
  async function merge(
    states: readonly Uint8Array[],
    callOptions: PoolMergeOptions & {
      readonly result?: 'state' | 'serialized';
      readonly finalize?: boolean;
      readonly trackDictionary?: SerializeKpiStateOptions['trackDictionary'];
    } = {},
  ): Promise<KpiState | SerializedKpiMerge> {
    if (states.length === 0) {
      throw new OptionsError('AggregatePool.merge: expected at least one serialized state');
    }
    const ready = await tables;
    const result = await tasks.run(
      'merge',
      callOptions.signal,
      async (signal, started) => {
        const channel = new MessageChannel();
        channel.port1.once('message', started);
        try {
          const task: PoolMergeTask = {
            kind: 'merge',
            tables: ready.data,
            states,
            ...(callOptions.result === 'serialized'
              ? { result: 'serialized' as const, finalize: callOptions.finalize === true }
              : {}),
            ...(callOptions.result === 'serialized' && callOptions.trackDictionary !== undefined
              ? { trackDictionary: callOptions.trackDictionary }
              : {}),
            ...(callOptions.dictionaries === undefined
              ? {}
              : { dictionaries: callOptions.dictionaries }),
            startPort: channel.port2,
          };
          return (await pool.run(task, {
            signal,
            transferList: [channel.port2],
          })) as PoolMergeResult;
        } finally {
          channel.port1.close();
        }
      },
      true,
      // Ahead of the queued objects: see AggregatePool.merge.
      true,
    );
    if (!result.ok) {
      const { code, message } = result.error;
      throw new PipelineError(code, message);
    }
    if (result.kind === 'serialized') return { bytes: result.bytes, items: result.items };
    return kpiStateFromTransfer(result.state, ready.songs.trackDictionary());
  }
  return {
    threads,
    aggregate: aggregate as AggregatePool['aggregate'],
    merge: merge as AggregatePool['merge'],
    pending: () => tasks.pending(),
    async close() {
      await pool.close();
    },
  };
}
