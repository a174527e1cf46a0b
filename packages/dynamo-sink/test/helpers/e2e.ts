/**
 * End-to-end fixtures for the exactly-once tests: s3rver + dynalite, small
 * CSV datasets, and the KPI oracle over the same rows.
 */
import { after, before } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { type KpiItem, type SongRow, type StreamRow, streamRowSchema } from '@streamkpi/core';
import {
  type FaultProxy,
  listKeys,
  putObject,
  startFaultProxy,
  startS3rver,
} from '@streamkpi/s3-source/testing';
import { oracleKpis } from '../../../core/test/helpers/oracle.js';
import { type RunKpisOptions, readKpiItems, runKpis, type StoredKpiItem } from '../../src/index.js';
import { type DynamoBackend, startDynamo } from '../../src/testing.js';
import { kpiFields } from './kpi-fixtures.js';

export const BUCKET = 'kpi-bucket';
export const TABLE = 'kpis';

/** s3rver and a DynamoDB emulator (dynalite unless told), and a client of each. */
export async function startEmulators(backend: DynamoBackend = 'dynalite') {
  const s3rver = await startS3rver({ buckets: [BUCKET] });
  // A DynamoDB emulator that does not come up must not leave s3rver holding the process open.
  const ddb = await startDynamo(backend).catch(async (error: unknown) => {
    await s3rver.close();
    throw error;
  });
  const s3 = s3rver.client();
  const dynamo = ddb.client();
  return {
    s3rver,
    ddb,
    s3,
    dynamo,
    async close() {
      await s3rver.close();
      await ddb.close();
    },
  };
}

/** The running emulators of {@link useEmulators} and helpers bound to their clients. */
export type Emulators = Omit<Awaited<ReturnType<typeof startEmulators>>, 'close'> & {
  /** {@link put} through this S3 client. */
  put(key: string, body: string, bucket?: string): Promise<void>;
  /** {@link listKeys} through this S3 client, in {@link BUCKET} unless told. */
  keys(prefix: string, bucket?: string): Promise<string[]>;
  /** {@link tableItems} through this DynamoDB client. */
  tableItems(tableName?: string): Promise<Record<string, unknown>[]>;
  /** `runKpis` with these clients on {@link BUCKET} into {@link TABLE}, unless `options` says otherwise. */
  run(options?: Partial<RunKpisOptions>): ReturnType<typeof runKpis>;
};

/**
 * Emulators for the enclosing suite (or the file, at top level): started
 * before its tests, closed after them. Read the fields inside tests and hooks.
 */
export function useEmulators(backend: DynamoBackend = 'dynalite'): Emulators {
  let env: Awaited<ReturnType<typeof startEmulators>> | undefined;
  before(async () => {
    env = await startEmulators(backend);
  });
  after(async () => {
    await env?.close();
  });
  const started = () => {
    if (env === undefined) throw new Error('emulators not started');
    return env;
  };
  return {
    get s3rver() {
      return started().s3rver;
    },
    get ddb() {
      return started().ddb;
    },
    get s3() {
      return started().s3;
    },
    get dynamo() {
      return started().dynamo;
    },
    put: (key, body, bucket) => put(started().s3, key, body, bucket),
    keys: (prefix, bucket = BUCKET) => listKeys(started().s3, bucket, prefix),
    tableItems: (tableName) => tableItems(started().dynamo, tableName),
    run: (options) =>
      runKpis({
        s3: started().s3,
        dynamo: started().dynamo,
        bucket: BUCKET,
        tableName: TABLE,
        ...options,
      }),
  };
}

/** The emulators and an S3 fault proxy in front of s3rver, for the tests of one file. */
export interface ProxiedEmulators {
  env: Awaited<ReturnType<typeof startEmulators>>;
  proxy: FaultProxy;
  /** An S3 client that talks to s3rver through `proxy`. */
  viaProxy: S3Client;
}

/** Starts {@link ProxiedEmulators} before the file's tests and closes them after. */
export function useProxiedEmulators(): ProxiedEmulators {
  const ctx = {} as ProxiedEmulators;
  before(async () => {
    ctx.env = await startEmulators();
    ctx.proxy = await startFaultProxy(ctx.env.s3rver.endpoint);
    ctx.viaProxy = ctx.env.s3rver.client({ endpoint: ctx.proxy.endpoint });
  });
  after(async () => {
    await ctx.proxy.close();
    await ctx.env.close();
  });
  return ctx;
}

export const SONGS: SongRow[] = [
  { track_id: 't1', track_name: 'Song, One', duration_ms: 200_000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'Song, One', duration_ms: 200_000, track_genre: 'rock' },
  { track_id: 't2', track_name: 'Второй "два"', duration_ms: 185_123, track_genre: 'pop' },
  { track_id: 't3', track_name: '', duration_ms: 99_999, track_genre: 'jazz' },
  { track_id: 't4', track_name: '四', duration_ms: 240_001, track_genre: 'rock' },
];

const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function songsCsv(songs: readonly SongRow[] = SONGS): string {
  const lines = ['id,track_id,artists,track_name,duration_ms,track_genre'];
  for (const [i, s] of songs.entries()) {
    const fields = [i, s.track_id, 'Artist, The', s.track_name, s.duration_ms, s.track_genre];
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function streamsCsv(
  rows: readonly { user_id: string | number; track_id: string; listen_time: string }[],
): string {
  return `user_id,track_id,listen_time\n${rows.map((r) => [r.user_id, r.track_id, r.listen_time].map(csvField).join(',')).join('\n')}\n`;
}

/**
 * Three small stream files over the {@link SONGS} catalogue, for the tests
 * that run files through one after another: `a` on 2024-06-25 with a
 * rejected row (user `x`) and a listen of an unknown track (`t9`); `b`
 * across midnight (2024-06-25 and 2024-06-26); `c` two listens of one
 * track by one user on 2024-06-26.
 */
export const LISTENS = {
  a: streamsCsv([
    { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
    { user_id: 2, track_id: 't2', listen_time: '2024-06-25 11:00:00' },
    { user_id: 'x', track_id: 't1', listen_time: '2024-06-25 13:00:00' },
    { user_id: 3, track_id: 't9', listen_time: '2024-06-25 14:00:00' },
  ]),
  b: streamsCsv([
    { user_id: 3, track_id: 't1', listen_time: '2024-06-25 20:00:00' },
    { user_id: 1, track_id: 't3', listen_time: '2024-06-26 08:00:00' },
  ]),
  c: streamsCsv([
    { user_id: 2, track_id: 't4', listen_time: '2024-06-26 09:30:00' },
    { user_id: 2, track_id: 't4', listen_time: '2024-06-26 09:40:00' },
  ]),
} as const;

/** Puts one object, in {@link BUCKET} unless told. */
export async function put(
  s3: S3Client,
  key: string,
  body: string,
  bucket: string = BUCKET,
): Promise<void> {
  await putObject(s3, bucket, key, body);
}

export { listKeys };

/** Oracle items over the valid rows of the given stream files (raw strings validated with the core schema). */
export function oracleOf(files: readonly string[], songs: readonly SongRow[] = SONGS): KpiItem[] {
  const rows: StreamRow[] = [];
  const known = new Set(songs.map((s) => s.track_id));
  for (const file of files) {
    const [, ...lines] = file.trimEnd().split('\n');
    for (const line of lines) {
      const [user_id, track_id, listen_time] = line.split(',');
      const parsed = streamRowSchema.safeParse({ user_id, track_id, listen_time });
      if (parsed.success && known.has(parsed.data.track_id)) rows.push(parsed.data);
    }
  }
  return oracleKpis(songs, rows);
}

/** The table as comparable plain values (bookkeeping dropped). */
export async function tableItems(
  dynamo: Parameters<typeof readKpiItems>[0],
  tableName: string = TABLE,
): Promise<Record<string, unknown>[]> {
  const items: StoredKpiItem[] = await readKpiItems(dynamo, tableName);
  return items.map(comparable);
}

function comparable(item: StoredKpiItem | KpiItem): Record<string, unknown> {
  return { ...kpiFields(item) };
}

/** Oracle items in the same comparable form as {@link tableItems}. */
export function expected(files: readonly string[]): Record<string, unknown>[] {
  return oracleOf(files).map(comparable);
}
