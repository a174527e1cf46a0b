/**
 * Run history: one compact JSON record per run (a `kpis run`, one `watch`
 * pass, a Lambda invocation) in the state store, so an operator can see how
 * the last runs went without the process that ran them. The record itself
 * is `run-record.ts`.
 *
 * Records live at `<statePrefix>runs/<inverted ms>-<UTC stamp>-<runId>.json`.
 * The first part is `9999999999999 - startedAt ms`, zero-padded: S3 lists
 * keys in ascending order, so the newest run comes first and "the last N
 * runs" is one ListObjectsV2 page of N keys, however long the history is.
 * The UTC stamp (`20261201T213000Z`) keeps the keys readable.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PipelineError } from '@streamkpi/core';
import { z } from 'zod';
import { bucketSchema, parseOptions, prefixSchema, signalSchema } from './internal/options.js';
import { sendOptions } from './internal/send-options.js';
import type { RunRecord } from './run-record.js';

/** Options of {@link writeRunRecord} (the S3 client aside). */
export const runHistoryOptionsSchema = z.object({
  /** Bucket of the state store (the runner's bucket). */
  bucket: bucketSchema,
  /** Prefix above the dataset folders, as given to `runKpis`. Default `''`. */
  prefix: prefixSchema.default(''),
  /** State prefix below `prefix`, as given to `runKpis`. Default `state/`. */
  statePrefix: prefixSchema.default('state/'),
  signal: signalSchema.optional(),
});

/** Options of {@link listRunRecords} (the S3 client aside). */
export const listRunRecordsOptionsSchema = runHistoryOptionsSchema.extend({
  /** Newest records to return (1–1000). Default 10. */
  limit: z.number().int().min(1).max(1000).default(10),
});

/** Options of {@link writeRunRecord} and {@link listRunRecords}. */
export type RunHistoryOptions = z.input<typeof runHistoryOptionsSchema> & {
  /** Injected S3 client. */
  readonly s3: S3Client;
};

const MAX_MS = 9_999_999_999_999;

/** The key of a record: newest first in S3's listing order. */
export function runRecordKey(runsPrefix: string, record: Pick<RunRecord, 'startedAt' | 'runId'>) {
  const ms = Date.parse(record.startedAt);
  if (!Number.isFinite(ms)) {
    throw new PipelineError('INVALID_RUN_RECORD', `startedAt is not a time: ${record.startedAt}`);
  }
  const inverted = String(MAX_MS - ms).padStart(13, '0');
  const stamp = new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${runsPrefix}${inverted}-${stamp}-${record.runId}.json`;
}

function runsPrefixOf(o: { prefix: string; statePrefix: string }): string {
  return `${o.prefix}${o.statePrefix}runs/`;
}

/**
 * Stores `record` under the state prefix and resolves to its key. Records
 * are small (≈1–10 KB) and written once; the key embeds the run id, so two
 * workers never overwrite each other.
 */
export async function writeRunRecord(
  record: RunRecord,
  options: RunHistoryOptions,
): Promise<string> {
  const { s3, ...rest } = options;
  const o = parseOptions(runHistoryOptionsSchema, rest, 'writeRunRecord');
  const key = runRecordKey(runsPrefixOf(o), record);
  const body = Buffer.from(`${JSON.stringify(record)}\n`);
  await s3.send(
    new PutObjectCommand({
      Bucket: o.bucket,
      Key: key,
      Body: body,
      ContentLength: body.byteLength,
      ContentType: 'application/json',
    }),
    sendOptions(o.signal),
  );
  return key;
}

/** Options of {@link listRunRecords}. */
export type ListRunRecordsOptions = z.input<typeof listRunRecordsOptionsSchema> & {
  /** Injected S3 client. */
  readonly s3: S3Client;
};

/**
 * The newest `limit` run records, newest first: one ListObjectsV2 call and
 * one GET per record. A record that cannot be parsed is skipped (it was
 * written by something else).
 */
export async function listRunRecords(options: ListRunRecordsOptions): Promise<RunRecord[]> {
  const { s3, ...rest } = options;
  const o = parseOptions(listRunRecordsOptionsSchema, rest, 'listRunRecords');
  const page = await s3.send(
    new ListObjectsV2Command({ Bucket: o.bucket, Prefix: runsPrefixOf(o), MaxKeys: o.limit }),
    sendOptions(o.signal),
  );
  const keys = (page.Contents ?? [])
    .map((c) => c.Key)
    .filter((k): k is string => k?.endsWith('.json') === true);
  const records = await Promise.all(
    keys.map(async (key) => {
      const res = await s3.send(
        new GetObjectCommand({ Bucket: o.bucket, Key: key }),
        sendOptions(o.signal),
      );
      const text = (await res.Body?.transformToString('utf8')) ?? '';
      try {
        const parsed = JSON.parse(text) as Partial<RunRecord>;
        return parsed.format === 1 && typeof parsed.runId === 'string'
          ? (parsed as RunRecord)
          : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return records.filter((r): r is RunRecord => r !== undefined);
}
