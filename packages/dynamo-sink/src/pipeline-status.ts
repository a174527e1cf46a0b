/**
 * The health of a pipeline at a glance, from the stores alone (the process
 * that ran it may be gone): stream objects waiting, dates committed with
 * their version and time, quarantined files, dead letters and the last runs.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { NumberValue, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { documentClientFor } from './internal/document-client.js';
import {
  bucketSchema,
  parseOptions,
  prefixSchema,
  signalSchema,
  tableNameSchema,
} from './internal/options.js';
import { sendOptions } from './internal/send-options.js';
import { listRunRecords } from './run-history.js';
import type { RunRecord } from './run-record.js';

/** Options of {@link readPipelineStatus} (clients aside). */
export const pipelineStatusOptionsSchema = z.object({
  /** Bucket with `streams/`, `rejected/`, `dead-letter/` and `state/` below `prefix`. */
  bucket: bucketSchema,
  /** Prefix above the dataset folders. Default `''`. */
  prefix: prefixSchema.default(''),
  /** KPI table. */
  tableName: tableNameSchema,
  /** Prefixes below `prefix`, as given to `runKpis`. */
  statePrefix: prefixSchema.default('state/'),
  rejectedPrefix: prefixSchema.default('rejected/'),
  deadLetterPrefix: prefixSchema.default('dead-letter/'),
  /** Newest run records to return. Default 10. */
  runs: z.number().int().min(1).max(1000).default(10),
  /** Pending objects and quarantined files listed by name (counts stay complete). Default 20. */
  listLimit: z.number().int().min(0).max(1000).default(20),
  signal: signalSchema.optional(),
});

/** Options of {@link readPipelineStatus}. */
export type PipelineStatusOptions = z.input<typeof pipelineStatusOptionsSchema> & {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
};

/** A stream object waiting in `streams/`. */
export interface PendingObject {
  readonly key: string;
  readonly size: number;
  /** ISO time it landed, when S3 said. */
  readonly lastModified?: string;
}

/** A committed date as the KPI table holds it. */
export interface CommittedDate {
  readonly date: string;
  /** Highest commit version among the date's items (partials merged). */
  readonly version: number;
  /** Genre items stored. */
  readonly items: number;
  /** Latest `updated_at` of its items. */
  readonly lastCommitAt?: string;
}

/** A file moved to `rejected/`, with its report. */
export interface QuarantinedFile {
  readonly key: string;
  readonly sourceKey?: string;
  readonly reason?: string;
  readonly missing?: readonly string[];
  readonly rejectedAt?: string;
}

/** What {@link readPipelineStatus} found. */
export interface PipelineStatus {
  readonly checkedAt: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly tableName: string;
  /** Objects under `streams/` (not yet committed and archived). */
  readonly pending: {
    readonly count: number;
    readonly bytes: number;
    /** Oldest first, at most `listLimit`. */
    readonly objects: readonly PendingObject[];
  };
  /** Dates in the KPI table, oldest first. */
  readonly dates: readonly CommittedDate[];
  readonly quarantined: {
    readonly count: number;
    /** Newest first, at most `listLimit`. */
    readonly files: readonly QuarantinedFile[];
  };
  /** Dead-letter part objects: how many, their bytes, and how many source objects they serve. */
  readonly deadLetter: {
    readonly objects: number;
    readonly bytes: number;
    readonly sources: number;
  };
  /** Newest first. */
  readonly runs: readonly RunRecord[];
}

interface Listed {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date | undefined;
}

async function* listAll(
  s3: S3Client,
  bucket: string,
  listPrefix: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Listed> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, ContinuationToken: token }),
      sendOptions(signal),
    );
    for (const c of page.Contents ?? []) {
      if (c.Key === undefined || c.Key.endsWith('/')) continue;
      yield { key: c.Key, size: c.Size ?? 0, lastModified: c.LastModified };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

async function collect(source: AsyncIterable<Listed>): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const x of source) out.push(x);
  return out;
}

const time = (d: Date | undefined) => d?.getTime() ?? 0;

async function pendingOf(s3: S3Client, o: Parsed): Promise<PipelineStatus['pending']> {
  const listed = await collect(listAll(s3, o.bucket, `${o.prefix}streams/`, o.signal));
  listed.sort((a, b) => time(a.lastModified) - time(b.lastModified) || (a.key < b.key ? -1 : 1));
  return {
    count: listed.length,
    bytes: listed.reduce((n, x) => n + x.size, 0),
    objects: listed.slice(0, o.listLimit).map((x) => ({
      key: x.key,
      size: x.size,
      ...(x.lastModified === undefined ? {} : { lastModified: x.lastModified.toISOString() }),
    })),
  };
}

async function datesOf(dynamo: DynamoDBClient, o: Parsed): Promise<CommittedDate[]> {
  const doc = documentClientFor(dynamo);
  const byDate = new Map<string, { version: number; items: number; lastCommitAt?: string }>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: o.tableName,
        ProjectionExpression: '#d, #v, updated_at',
        ExpressionAttributeNames: { '#d': 'date', '#v': 'version' },
        ExclusiveStartKey: start,
      }),
      o.signal === undefined ? {} : { abortSignal: o.signal },
    );
    for (const item of page.Items ?? []) {
      const date = String(item.date);
      const v = item.version instanceof NumberValue ? Number(item.version.value) : 0;
      const at = typeof item.updated_at === 'string' ? item.updated_at : undefined;
      const d = byDate.get(date) ?? { version: 0, items: 0 };
      d.version = Math.max(d.version, v);
      d.items++;
      if (at !== undefined && (d.lastCommitAt === undefined || at > d.lastCommitAt)) {
        d.lastCommitAt = at;
      }
      byDate.set(date, d);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return [...byDate]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([date, d]) => ({
      date,
      version: d.version,
      items: d.items,
      ...(d.lastCommitAt === undefined ? {} : { lastCommitAt: d.lastCommitAt }),
    }));
}

async function quarantinedOf(s3: S3Client, o: Parsed): Promise<PipelineStatus['quarantined']> {
  const listed = await collect(listAll(s3, o.bucket, `${o.prefix}${o.rejectedPrefix}`, o.signal));
  const reports = new Set(listed.filter((x) => x.key.endsWith('.report.json')).map((x) => x.key));
  const files = listed
    .filter((x) => !reports.has(x.key))
    .sort((a, b) => time(b.lastModified) - time(a.lastModified) || (a.key < b.key ? -1 : 1));
  const shown = await Promise.all(
    files.slice(0, o.listLimit).map(async (f): Promise<QuarantinedFile> => {
      const reportKey = `${f.key}.report.json`;
      if (!reports.has(reportKey)) return { key: f.key };
      const res = await s3.send(
        new GetObjectCommand({ Bucket: o.bucket, Key: reportKey }),
        o.signal === undefined ? {} : { abortSignal: o.signal },
      );
      try {
        const r = JSON.parse((await res.Body?.transformToString('utf8')) ?? '') as Record<
          string,
          unknown
        >;
        return {
          key: f.key,
          ...(typeof r.sourceKey === 'string' ? { sourceKey: r.sourceKey } : {}),
          ...(typeof r.reason === 'string' ? { reason: r.reason } : {}),
          ...(Array.isArray(r.missing) ? { missing: r.missing.map(String) } : {}),
          ...(typeof r.rejectedAt === 'string' ? { rejectedAt: r.rejectedAt } : {}),
        };
      } catch {
        return { key: f.key };
      }
    }),
  );
  return { count: files.length, files: shown };
}

async function deadLetterOf(s3: S3Client, o: Parsed): Promise<PipelineStatus['deadLetter']> {
  let objects = 0;
  let bytes = 0;
  const sources = new Set<string>();
  for await (const x of listAll(s3, o.bucket, `${o.prefix}${o.deadLetterPrefix}`, o.signal)) {
    objects++;
    bytes += x.size;
    sources.add(x.key.replace(/\.part-\d+\.ndjson$/, ''));
  }
  return { objects, bytes, sources: sources.size };
}

type Parsed = z.output<typeof pipelineStatusOptionsSchema>;

/**
 * Reads the pipeline's status: lists `streams/`, `rejected/` (and reads the
 * shown reports), `dead-letter/` and the newest run records, and scans the
 * KPI table's keys, versions and times (a projection, not the KPI values).
 * The cost grows with the objects waiting and the dates stored, not with the
 * history of runs.
 *
 * @throws OptionsError for bad options; the SDK's error for a missing bucket
 * or table (`NoSuchBucket`, `ResourceNotFoundException`).
 */
export async function readPipelineStatus(options: PipelineStatusOptions): Promise<PipelineStatus> {
  const { s3, dynamo, ...rest } = options;
  const o = parseOptions(pipelineStatusOptionsSchema, rest, 'readPipelineStatus');
  const [pending, dates, quarantined, deadLetter, runs] = await Promise.all([
    pendingOf(s3, o),
    datesOf(dynamo, o),
    quarantinedOf(s3, o),
    deadLetterOf(s3, o),
    listRunRecords({
      s3,
      bucket: o.bucket,
      prefix: o.prefix,
      statePrefix: o.statePrefix,
      limit: o.runs,
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    }),
  ]);
  return {
    checkedAt: new Date().toISOString(),
    bucket: o.bucket,
    prefix: o.prefix,
    tableName: o.tableName,
    pending,
    dates,
    quarantined,
    deadLetter,
    runs,
  };
}
