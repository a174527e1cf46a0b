/**
 * Connect step of a run: the tables (checked or created), the S3 state
 * store, the reference data and, when threads are asked for, the pool.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type AggregatePool,
  createAggregatePool,
  PipelineError,
  type ReferenceFile,
  type ReferenceFilesOptions,
  RunMetrics,
  type SongsTable,
  songsTableFromFiles,
  type UsersTable,
  usersTableFromFiles,
} from '@streamkpi/core';
import {
  listObjects,
  openObject,
  S3_WORKER_FILE,
  type S3WorkerClientConfig,
  s3DeadLetter,
  sourceRefOf,
  workerClientConfig,
} from '@streamkpi/s3-source';
import { ensureKpiTable, ensureStateTable } from '../ensure-kpi-table.js';
import { createPartialStore, type PartialStore } from '../partial-store.js';
import { createStateTable, type StateTable } from '../state-table.js';
import type { RunLayout } from './layout.js';

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
  readonly signal: AbortSignal | undefined;
}

/** The connected resources of a run; `close()` stops the pool. */
export interface Connection {
  readonly store: PartialStore;
  readonly heads: StateTable;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly songsMetrics: RunMetrics;
  readonly usersMetrics: RunMetrics;
  /** Reads, aggregates and merges on threads when set. */
  readonly pool:
    | { readonly pool: AggregatePool; readonly client: S3WorkerClientConfig }
    | undefined;
  close(): Promise<void>;
}

/** Checks (or creates) the tables, loads songs and users, starts the pool. */
export async function connect(o: ConnectOptions): Promise<Connection> {
  const { s3, dynamo, layout, signal } = o;
  const sig = signal ? { signal } : {};
  if (o.createTable) {
    await ensureKpiTable({ client: dynamo, tableName: o.tableName, ...sig });
    await ensureStateTable({ client: dynamo, tableName: o.stateTableName, ...sig });
  }
  const store = createPartialStore({ client: s3, bucket: layout.bucket, prefix: layout.state });
  const heads = createStateTable({
    client: dynamo,
    tableName: o.stateTableName,
    scope: `s3://${layout.bucket}/${layout.state}`,
  });

  const songsMetrics = new RunMetrics();
  const usersMetrics = new RunMetrics();
  const songsFiles = referenceFiles(s3, layout, layout.songs, songsMetrics, signal);
  const loaded = await songsTableFromFiles(songsFiles.files, songsFiles.options);
  if (loaded.files === 0) {
    throw new PipelineError(
      'NO_SONGS',
      `No songs objects under s3://${layout.bucket}/${layout.songs}: the join needs the songs table`,
    );
  }
  const songs = loaded.table;
  const usersFiles = referenceFiles(s3, layout, layout.users, usersMetrics, signal);
  const users = (await usersTableFromFiles(usersFiles.files, usersFiles.options)).table;
  songsMetrics.stop();
  usersMetrics.stop();

  const pool =
    o.threads > 0
      ? createAggregatePool({
          songs,
          ...(users ? { users } : {}),
          threads: o.threads,
          timeZone: o.timeZone,
          sourceTimeZone: o.sourceTimeZone,
          uniqueListeners: o.uniqueListeners,
          workerFile: S3_WORKER_FILE,
        })
      : undefined;
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
    songsMetrics,
    usersMetrics,
    pool: pool && client ? { pool, client } : undefined,
    close: async () => {
      await pool?.close();
    },
  };
}

/** The reference files under `folder`, read lazily, each with its own S3 dead letter. */
function referenceFiles(
  s3: S3Client,
  layout: RunLayout,
  folder: string,
  metrics: RunMetrics,
  signal: AbortSignal | undefined,
) {
  const sig = signal ? { signal } : {};
  const bucket = layout.bucket;
  async function* files(): AsyncGenerator<ReferenceFile> {
    for await (const object of listObjects({ client: s3, bucket, prefix: folder, ...sig })) {
      yield {
        source: sourceRefOf(object),
        open: async () =>
          (await openObject({ client: s3, bucket, key: object.key, etag: object.etag, ...sig }))
            .body,
      };
    }
  }
  const options: ReferenceFilesOptions = {
    deadLetter: (source) =>
      s3DeadLetter({ client: s3, bucket, prefix: layout.deadLetter, source, ...sig }),
    metrics,
    ...sig,
  };
  return { files: files(), options };
}
