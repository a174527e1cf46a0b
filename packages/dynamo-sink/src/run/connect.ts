/**
 * Connect step of a run: the tables (checked or created), the S3 state
 * store, the reference data and, when threads are asked for, the pool.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type AggregatePool,
  createAggregatePool,
  type listenTimeWindowSchema,
  type SongsTable,
  type UsersTable,
} from '@streamkpi/core';
import {
  S3_WORKER_FILE,
  type S3WorkerClientConfig,
  workerClientConfig,
} from '@streamkpi/s3-source';
import type { z } from 'zod';
import { ensureKpiTable, ensureStateTable } from '../ensure-kpi-table.js';
import { createPartialStore, type PartialStore } from '../partial-store.js';
import type { ReferenceCache } from '../reference-cache.js';
import { loadReferenceData, type ReferenceData } from '../reference-data.js';
import { createStateTable, type StateTable } from '../state-table.js';
import type { RunLayout } from './layout.js';
import type { ReferenceLoaded } from './summary.js';

/** What {@link connect} needs. */
export interface ConnectOptions {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly layout: RunLayout;
  readonly tableName: string;
  readonly stateTableName: string;
  readonly createTable: boolean;
  /** Pool threads; 0 for none. */
  readonly threads: number;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
  readonly uniqueListeners: 'exact' | 'hll';
  readonly listenTimeWindow: z.input<typeof listenTimeWindowSchema> | undefined;
  readonly referenceCache: ReferenceCache | undefined;
  /** Folder of the tables' binary form between runs; none when undefined. */
  readonly referenceCacheDir: string | undefined;
  /** Hears the reference data once loaded (the pool's threads start meanwhile). */
  readonly onReference: ((loaded: ReferenceLoaded) => void) | undefined;
  /** Deadline of one pool task; `onProgress` hears each progress beat of a thread (the watchdog). */
  readonly pool: { readonly taskTimeoutMs: number; readonly onProgress: () => void };
  readonly signal: AbortSignal | undefined;
}

/** The connected resources of a run; `close()` stops the pool. */
export interface Connection {
  readonly store: PartialStore;
  readonly heads: StateTable;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  /** The tables' build summaries, or which were reused from the cache. */
  readonly reference: ReferenceData;
  /** Reads, aggregates and merges on threads when set. */
  readonly pool:
    | { readonly pool: AggregatePool; readonly client: S3WorkerClientConfig }
    | undefined;
  close(): Promise<void>;
}

/**
 * Checks (or creates) the tables, loads songs and users, starts the pool:
 * all three at once (a new table is polled until it is active, the threads
 * load their module meanwhile); a table that fails fails the connect first.
 */
export async function connect(o: ConnectOptions): Promise<Connection> {
  const { s3, dynamo, layout, signal } = o;
  const sig = signal ? { signal } : {};
  const tables = o.createTable
    ? Promise.all([
        ensureKpiTable({ client: dynamo, tableName: o.tableName, ...sig }),
        ensureStateTable({ client: dynamo, tableName: o.stateTableName, ...sig }),
      ])
    : Promise.resolve();
  // Awaited once the threads are started: no unhandled rejection meanwhile.
  tables.catch(() => undefined);
  const store = createPartialStore({ client: s3, bucket: layout.bucket, prefix: layout.state });
  const heads = createStateTable({
    client: dynamo,
    tableName: o.stateTableName,
    scope: `s3://${layout.bucket}/${layout.state}`,
  });

  const referenceStarted = performance.now();
  const loading = loadReferenceData({
    s3,
    bucket: layout.bucket,
    songsPrefix: layout.songs,
    usersPrefix: layout.users,
    deadLetterPrefix: layout.deadLetter,
    cache: o.referenceCache,
    cacheDir: o.referenceCacheDir,
    signal,
  });
  // The threads start and load their module while the tables load.
  const pool =
    o.threads > 0
      ? createAggregatePool({
          tables: loading,
          threads: o.threads,
          timeZone: o.timeZone,
          sourceTimeZone: o.sourceTimeZone,
          uniqueListeners: o.uniqueListeners,
          ...(o.listenTimeWindow === undefined ? {} : { listenTimeWindow: o.listenTimeWindow }),
          workerFile: S3_WORKER_FILE,
          taskTimeoutMs: o.pool.taskTimeoutMs,
          onProgress: o.pool.onProgress,
        })
      : undefined;
  // Awaited after the tables: no unhandled rejection meanwhile.
  loading.catch(() => undefined);
  let reference: ReferenceData;
  try {
    await tables;
    reference = await loading;
  } catch (error) {
    // Nothing of the run goes on once it failed: the reference load ends first.
    await Promise.allSettled([loading]);
    await pool?.close();
    throw error;
  }
  const { songs, users } = reference;
  o.onReference?.({
    songs: songs.stats,
    users: users?.stats,
    rowsRead: reference.summary.songs.rowsRead + reference.summary.users.rowsRead,
    reused: reference.reused,
    durationMs: performance.now() - referenceStarted,
  });

  let client: S3WorkerClientConfig | undefined;
  try {
    client = pool === undefined ? undefined : await workerClientConfig(s3);
  } catch (error) {
    await pool?.close();
    throw error;
  }
  return {
    store,
    heads,
    songs,
    users,
    reference,
    pool: pool && client ? { pool, client } : undefined,
    close: async () => {
      await pool?.close();
    },
  };
}
