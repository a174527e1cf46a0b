/**
 * The task function of an aggregating worker thread (see
 * `createAggregatePool`): rebuilds the lookup tables once from its first task,
 * then turns each task (one stream object) into a partial state, moved to
 * the main thread as typed arrays (or, on request, into its canonical
 * per-date partials).
 * Errors are returned as data, not thrown, so their `code` and fields survive
 * the thread boundary.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { serializeKpiStateByDate } from '../aggregate/kpi-codec.js';
import type { DeadLetterEntry, DeadLetterSink } from '../dead-letter/dead-letter.js';
import { HeaderError, type PipelineError } from '../errors.js';
import { mergeSerializedKpiStates, readMerged } from '../finalize/merge-serialized.js';
import { createJoinMetrics } from '../join/join-songs.js';
import type { SongsTable } from '../join/songs-table.js';
import type { UsersTable } from '../join/users-table.js';
import { RunMetrics } from '../metrics.js';
import type { ByteSource } from '../parse/internal/bytes.js';
import { aggregateStreamFile } from '../pipeline/aggregate-stream-file.js';
import { kpiStateToTransfer } from './internal/kpi-transfer.js';
import {
  DEAD_LETTER_ACK,
  DEAD_LETTER_WINDOW,
  type DeadLetterMessage,
  type PoolMergeResult,
  type PoolMergeTask,
  type PoolTablesData,
  type PoolTask,
  type PoolTaskDone,
  type PoolTaskError,
  type PoolTaskResult,
  type PoolWorkerData,
  PROGRESS_BEAT_MS,
} from './internal/pool-protocol.js';
import { songsTableFromData, usersTableFromData } from './internal/table-transfer.js';

/** How a worker thread gets the bytes of one task's object. */
export type OpenBytes = (
  input: unknown,
  signal: AbortSignal | undefined,
) => Promise<ByteSource> | ByteSource;

/**
 * The task function a worker module exports as default. It resolves to the
 * task's result wrapped for piscina to move its typed arrays (not copy them).
 */
export type AggregateWorkerTask = (task: PoolTask | PoolMergeTask) => Promise<unknown>;

/** When this thread had loaded its module (epoch ms): its start-up, for the caller's report. */
const moduleLoadedAtMs = performance.timeOrigin + performance.now();

interface Tables {
  readonly options: PoolWorkerData['options'];
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
}
let tables: Tables | undefined;

/** The thread's tables, built from the first task (every task of a pool carries the same). */
function loadTables(data: PoolTablesData): Tables {
  if (tables === undefined) {
    tables = {
      options: (workerData as PoolWorkerData).options,
      songs: songsTableFromData(data.songs),
      users: data.userIds === undefined ? undefined : usersTableFromData(data.userIds),
    };
  }
  return tables;
}

/** A result whose buffers piscina moves to the main thread instead of copying. */
function moved(value: PoolTaskResult | PoolMergeResult, transferList: ArrayBuffer[]): unknown {
  return move({ [transferableSymbol]: transferList, [valueSymbol]: value });
}

/**
 * Creates the default export of a worker module for `createAggregatePool`
 * (`workerFile` option): `openBytes` turns a task's `input` into bytes.
 *
 * ```ts
 * // my-worker.ts
 * export default createAggregateWorkerTask(({ path }) => createReadStream(path));
 * ```
 */
export function createAggregateWorkerTask(openBytes: OpenBytes): AggregateWorkerTask {
  return (task) => ('kind' in task ? mergeTask(task) : aggregateTask(task, openBytes));
}

/**
 * Reads serialized states bound to this thread's songs table and merges them:
 * the merged state moved back, or (`result: 'serialized'`) its bytes and items.
 */
async function mergeTask(task: PoolMergeTask): Promise<unknown> {
  const { songs } = loadTables(task.tables);
  task.startPort?.postMessage({ started: true } satisfies DeadLetterMessage);
  task.startPort?.close();
  try {
    if (task.result === 'serialized') {
      // The caller only stores these: no state crosses back, no work is left to it.
      const { bytes, items } = mergeSerializedKpiStates(task.states, {
        songs,
        ...(task.dictionaries === undefined ? {} : { dictionaries: task.dictionaries }),
        ...(task.trackDictionary === undefined ? {} : { trackDictionary: task.trackDictionary }),
        finalize: task.finalize === true,
      });
      return moved({ ok: true, kind: 'serialized', bytes, items }, [bytes.buffer as ArrayBuffer]);
    }
    const merged = readMerged(task.states, songs, task.dictionaries);
    const transfer = kpiStateToTransfer(merged, songs.trackDictionary());
    return moved({ ok: true, kind: 'merged', state: transfer.value }, transfer.transferList);
  } catch (error) {
    return { ok: false, error: errorData(error) } satisfies PoolMergeResult;
  }
}

/** A thrown error as data that survives the thread boundary. */
function errorData(error: unknown): PoolTaskError {
  const e = error as Partial<PipelineError> & { message?: string; name?: string };
  return {
    name: e.name ?? 'Error',
    // An SDK error has no code but a telling name (`SlowDown`, `TimeoutError`): keep it.
    code: typeof e.code === 'string' ? e.code : e.name && e.name !== 'Error' ? e.name : 'UNKNOWN',
    message: e.message ?? String(error),
    ...(error instanceof HeaderError ? { missing: [...error.missing] } : {}),
    ...(typeof e.line === 'number' ? { line: e.line } : {}),
  };
}

async function aggregateTask(task: PoolTask, openBytes: OpenBytes): Promise<unknown> {
  const { options, songs, users } = loadTables(task.tables);
  const metrics = new RunMetrics();
  const joinMetrics = createJoinMetrics();
  const deadLetters: DeadLetterEntry[] = [];
  const port = task.deadLetterPort;
  const deadLetter: DeadLetterSink =
    port === undefined
      ? {
          write: async (entries) => {
            for (const e of entries) deadLetters.push(e);
          },
          close: async () => {},
        }
      : portDeadLetter(port);
  port?.postMessage({ started: true } satisfies DeadLetterMessage);
  // Beats while rows or bytes grow: the caller's watchdog sees a thread that reads.
  let seen = 0;
  const beat =
    port === undefined
      ? undefined
      : setInterval(() => {
          const now = metrics.rowsRead + metrics.bytesRead;
          if (now === seen) return;
          seen = now;
          port.postMessage({ progress: now } satisfies DeadLetterMessage);
        }, PROGRESS_BEAT_MS);
  try {
    const bytes = await openBytes(task.input, undefined);
    const { state, counts } = await aggregateStreamFile(bytes, {
      source: task.source,
      songs,
      ...(users === undefined ? {} : { users }),
      deadLetter,
      metrics,
      joinMetrics,
      ...options,
    });
    const done: PoolTaskDone = {
      ok: true,
      counts,
      bytesRead: metrics.bytesRead,
      unknownUsers: joinMetrics.unknownUsers,
      deadLetters,
      peakRssBytes: metrics.peakRssBytes,
      stages: metrics.stages,
      thread: { startedAtMs: performance.timeOrigin, moduleLoadedAtMs },
    };
    if (task.result === 'partials-by-date') {
      // The canonical per-date partials of the exactly-once protocol, made here
      // so that the main thread only stores bytes.
      const byDate = serializeKpiStateByDate(
        state,
        task.trackDictionary === undefined ? {} : { trackDictionary: task.trackDictionary },
      );
      const dates = byDate.map((p) => p.date);
      const partials = byDate.map((p) => p.bytes);
      return moved(
        { ...done, kind: 'partials-by-date', dates, partials },
        partials.map((p) => p.buffer as ArrayBuffer),
      );
    }
    const transfer = kpiStateToTransfer(state, songs.trackDictionary());
    return moved({ ...done, kind: 'state', state: transfer.value }, transfer.transferList);
  } catch (error) {
    return { ok: false, error: errorData(error) };
  } finally {
    clearInterval(beat);
    port?.postMessage({ end: true } satisfies DeadLetterMessage);
  }
}

/**
 * A dead-letter sink that posts each batch to the caller and, with
 * {@link DEAD_LETTER_WINDOW} batches unwritten, waits for the caller's acks:
 * a thread never holds more than a few batches of rejected rows.
 */
function portDeadLetter(port: MessagePort): DeadLetterSink {
  let unacked = 0;
  let closed = false;
  // Every waiter is woken (a single slot would lose a wake-up if two writes waited).
  const waiters: (() => void)[] = [];
  const wakeUp = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  port.on('message', (message: unknown) => {
    if (message !== DEAD_LETTER_ACK) return;
    unacked--;
    wakeUp();
  });
  // The caller gave up on the task (it stops reading): do not wait for acks.
  port.once('close', () => {
    closed = true;
    wakeUp();
  });
  return {
    async write(entries) {
      if (entries.length === 0) return;
      port.postMessage({ entries } satisfies DeadLetterMessage);
      unacked++;
      while (unacked >= DEAD_LETTER_WINDOW && !closed) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
        });
      }
    },
    async close() {},
  };
}
