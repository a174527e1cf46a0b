/**
 * The task function of an aggregating worker thread (see
 * `createAggregatePool`): rebuilds the lookup tables once from `workerData`,
 * then turns each task (one stream object) into a serialized partial state.
 * Errors are returned as data, not thrown, so their `code` and fields survive
 * the thread boundary.
 */
import { workerData } from 'node:worker_threads';
import { aggregateStreamFile } from './aggregate-stream-file.js';
import type { DeadLetterEntry } from './dead-letter.js';
import { HeaderError, type PipelineError } from './errors.js';
import type { ByteSource } from './internal/bytes.js';
import type { PoolTask, PoolTaskResult, PoolWorkerData } from './internal/pool-protocol.js';
import { songsTableFromData, usersTableFromData } from './internal/table-transfer.js';
import { createJoinMetrics } from './join-songs.js';
import { serializeKpiState } from './kpi-state.js';
import { RunMetrics } from './metrics.js';
import type { SongsTable } from './songs-table.js';
import type { UsersTable } from './users-table.js';

/** How a worker thread gets the bytes of one task's object. */
export type OpenBytes = (
  input: unknown,
  signal: AbortSignal | undefined,
) => Promise<ByteSource> | ByteSource;

/** The task function a worker module exports as default. */
export type AggregateWorkerTask = (task: PoolTask) => Promise<PoolTaskResult>;

interface Tables {
  readonly data: PoolWorkerData;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
}
let tables: Tables | undefined;

function loadTables(): Tables {
  if (tables === undefined) {
    const data = workerData as PoolWorkerData;
    tables = {
      data,
      songs: songsTableFromData(data.songs),
      users: data.userIds === undefined ? undefined : usersTableFromData(data.userIds),
    };
  }
  return tables;
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
  return (task) => aggregateTask(task, openBytes);
}

async function aggregateTask(task: PoolTask, openBytes: OpenBytes): Promise<PoolTaskResult> {
  const { data, songs, users } = loadTables();
  const metrics = new RunMetrics();
  const joinMetrics = createJoinMetrics();
  const deadLetters: DeadLetterEntry[] = [];
  const deadLetter = {
    write: async (entries: readonly DeadLetterEntry[]) => {
      for (const e of entries) deadLetters.push(e);
    },
    close: async () => {},
  };
  try {
    const bytes = await openBytes(task.input, undefined);
    const { state, counts } = await aggregateStreamFile(bytes, {
      source: task.source,
      songs,
      ...(users === undefined ? {} : { users }),
      deadLetter,
      metrics,
      joinMetrics,
      ...data.options,
    });
    return {
      ok: true,
      state: serializeKpiState(state),
      counts,
      bytesRead: metrics.bytesRead,
      unknownUsers: joinMetrics.unknownUsers,
      deadLetters,
      peakRssBytes: metrics.peakRssBytes,
    };
  } catch (error) {
    const e = error as Partial<PipelineError> & { message?: string; name?: string };
    return {
      ok: false,
      error: {
        name: e.name ?? 'Error',
        code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
        message: e.message ?? String(error),
        ...(error instanceof HeaderError ? { missing: [...error.missing] } : {}),
        ...(typeof e.line === 'number' ? { line: e.line } : {}),
      },
    };
  }
}
