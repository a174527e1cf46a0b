/**
 * Run history: one compact JSON record per run (a `kpis run`, one `watch`
 * pass, a Lambda invocation) in the state store, so an operator can see how
 * the last runs went without the process that ran them.
 *
 * Records live at `<statePrefix>runs/<inverted ms>-<UTC stamp>-<runId>.json`.
 * The first part is `9999999999999 - startedAt ms`, zero-padded: S3 lists
 * keys in ascending order, so the newest run comes first and "the last N
 * runs" is one ListObjectsV2 page of N keys, however long the history is.
 * The UTC stamp (`20261201T213000Z`) keeps the keys readable.
 */
import { randomUUID } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PipelineError } from '@streamkpi/core';
import { z } from 'zod';
import { parseOptions, signalSchema } from './internal/options.js';
import type { LatencySummary, RunKpisSummary } from './run-kpis.js';

/** Keys listed per outcome in a record; the counts are always complete. */
export const RUN_RECORD_MAX_KEYS = 100;

/** Stream objects of one outcome: how many, and their keys (at most {@link RUN_RECORD_MAX_KEYS}). */
export interface RunRecordObjects {
  readonly count: number;
  readonly keys: readonly string[];
}

/** Where a run failed: reading and storing an object, committing a date, archiving, quarantining, or before any object (setup). */
export type RunFailureStep = 'process' | 'commit' | 'archive' | 'quarantine' | 'setup';

/** One failure left for a retry. */
export interface RunFailure {
  readonly step: RunFailureStep;
  /** Stream object key, when an object failed. */
  readonly key?: string;
  /** `YYYY-MM-DD`, when a date commit failed. */
  readonly date?: string;
  /** Stable error code (`ECONNRESET`, `BAD_GZIP`, …). */
  readonly code: string;
  readonly message: string;
}

/** The record of one run, as stored (version 1 of the format). */
export interface RunRecord {
  readonly format: 1;
  readonly runId: string;
  /** What ran it: `run`, `watch`, `lambda`, … */
  readonly command: string;
  /** ISO-8601 times. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** False when something failed and was left for a retry (quarantined files do not count). */
  readonly ok: boolean;
  readonly objects: {
    /** Read and committed by this run. */
    readonly committed: RunRecordObjects;
    /** Committed earlier (re-committed and archived now). */
    readonly skipped: RunRecordObjects;
    /** Moved to `rejected/` with a report: can never be processed. */
    readonly quarantined: RunRecordObjects;
    /** Left in place for a retry. */
    readonly failed: RunRecordObjects;
    readonly archived: number;
  };
  /** Stream rows: `read === aggregated + rejected`. */
  readonly rows: {
    readonly read: number;
    readonly aggregated: number;
    readonly rejected: number;
    readonly rejectedByReason: Readonly<Record<string, number>>;
  };
  /** Dates committed, with the commit version (partials merged). */
  readonly dates: readonly { readonly date: string; readonly version: number }[];
  readonly itemsWritten: number;
  readonly itemsStale: number;
  /** Milliseconds: the whole run, and loading reference data when known. */
  readonly durations: { readonly totalMs: number; readonly referenceMs?: number };
  /** Landing → committed latency of the objects this run committed (absent in older records). */
  readonly landingToCommitted?: LatencySummary;
  readonly failures: readonly RunFailure[];
}

const folder = z.string().refine((p) => p === '' || p.endsWith('/'), {
  message: "Expected a prefix that is '' or ends with '/'",
});

/** Options of {@link writeRunRecord} (the S3 client aside). */
export const runHistoryOptionsSchema = z.object({
  /** Bucket of the state store (the runner's bucket). */
  bucket: z.string().min(3).max(63),
  /** Prefix above the dataset folders, as given to `runKpis`. Default `''`. */
  prefix: folder.default(''),
  /** State prefix below `prefix`, as given to `runKpis`. Default `state/`. */
  statePrefix: folder.default('state/'),
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

const sendOptions = (signal: AbortSignal | undefined) =>
  signal === undefined ? {} : { abortSignal: signal };

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

/** What {@link runRecordOf} needs besides the summary. */
export interface RunRecordContext {
  readonly command: string;
  /** Default: a random UUID. */
  readonly runId?: string;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
  /** Milliseconds spent loading reference data, when known. */
  readonly referenceMs?: number;
  /** Dates whose commit failed (reported to `runKpis`'s `onError` with a `date`). */
  readonly dateFailures?: readonly { readonly date: string; readonly error: unknown }[];
}

/** Stable code of an error: its `code`, else its `name`. */
function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; name?: unknown; cause?: unknown };
    // An object's failure names its key and step; the record keeps the cause's code.
    if (e.code === 'OBJECT_FAILED') return errorCodeOf(e.cause);
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  }
  return 'ERROR';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function objectsOf(keys: readonly string[]): RunRecordObjects {
  return { count: keys.length, keys: keys.slice(0, RUN_RECORD_MAX_KEYS) };
}

/** Builds the record of a finished `runKpis` pass. */
export function runRecordOf(summary: RunKpisSummary, context: RunRecordContext): RunRecord {
  const keysOf = (status: string) =>
    summary.outcomes.filter((x) => x.status === status).map((x) => x.key);
  const failures: RunFailure[] = [];
  for (const x of summary.outcomes) {
    if (x.error === undefined || x.status === 'rejected') continue;
    const step: RunFailureStep = x.status === 'failed' ? 'process' : 'archive';
    failures.push({ step, key: x.key, code: errorCodeOf(x.error), message: messageOf(x.error) });
  }
  for (const f of context.dateFailures ?? []) {
    failures.push({
      step: 'commit',
      date: f.date,
      code: errorCodeOf(f.error),
      message: messageOf(f.error),
    });
  }
  const started = context.startedAt;
  return {
    format: 1,
    runId: context.runId ?? randomUUID(),
    command: context.command,
    startedAt: started.toISOString(),
    finishedAt: (context.finishedAt ?? new Date()).toISOString(),
    ok: summary.ok && failures.length === 0,
    objects: {
      committed: objectsOf(keysOf('processed')),
      skipped: objectsOf(keysOf('skipped')),
      quarantined: objectsOf(keysOf('rejected')),
      failed: objectsOf(keysOf('failed')),
      archived: summary.objects.archived,
    },
    rows: {
      read: summary.streams.rowsRead,
      aggregated: summary.streams.rowsAggregated,
      rejected: summary.streams.rowsRejected,
      rejectedByReason: summary.streams.rejectedByReason,
    },
    dates: summary.dates.map((d) => ({ date: d.date, version: d.version })),
    itemsWritten: summary.itemsWritten,
    itemsStale: summary.itemsStale,
    durations: {
      totalMs: Math.round(summary.durationMs),
      ...(context.referenceMs === undefined
        ? {}
        : { referenceMs: Math.round(context.referenceMs) }),
    },
    landingToCommitted: summary.landingToCommitted,
    failures,
  };
}

/** The record of a run that stopped before any object (bad reference data, unreachable table…). */
export function failedRunRecordOf(error: unknown, context: RunRecordContext): RunRecord {
  const none = objectsOf([]);
  const finished = context.finishedAt ?? new Date();
  return {
    format: 1,
    runId: context.runId ?? randomUUID(),
    command: context.command,
    startedAt: context.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    ok: false,
    objects: { committed: none, skipped: none, quarantined: none, failed: none, archived: 0 },
    rows: { read: 0, aggregated: 0, rejected: 0, rejectedByReason: {} },
    dates: [],
    itemsWritten: 0,
    itemsStale: 0,
    durations: { totalMs: finished.getTime() - context.startedAt.getTime() },
    failures: [{ step: 'setup', code: errorCodeOf(error), message: messageOf(error) }],
  };
}
