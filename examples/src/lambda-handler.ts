/**
 * AWS Lambda handler: S3 `ObjectCreated` notifications (direct, or wrapped in
 * SQS / SNS→SQS messages) for stream objects run the exactly-once runner on
 * just that object. Deploy `handler`; configure with environment variables:
 *
 * - `KPI_TABLE` (required): the KPI table (created when missing).
 * - `KPI_PREFIX`: prefix above `songs/`, `users/`, `streams/` (default `''`).
 * - `ARCHIVE_BUCKET`, `ARCHIVE_PREFIX` (default `archive/`).
 * - `TIME_ZONE`, `SOURCE_TIME_ZONE` (default `UTC`).
 * - `S3_FORCE_PATH_STYLE=true` for S3-compatible endpoints.
 * - Endpoints, region and credentials: the standard SDK variables
 *   (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, …).
 *
 * Objects outside `<prefix>streams/` (songs, users, archive, state) are
 * skipped. A failed object fails its record: a direct event throws (Lambda
 * retries it), an SQS event reports it in `batchItemFailures`. Re-delivered
 * events are harmless: the runner skips what it already committed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import { type RunKpisSummary, runKpis } from '@streamkpi/dynamo-sink';
import {
  createS3EventHandler,
  type S3Event,
  type S3EventHandlerResult,
  type S3EventObject,
  type SqsEvent,
} from '@streamkpi/s3-source';

/** Settings of {@link createKpiLambdaHandler}. */
export interface KpiLambdaOptions {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** Prefix above the dataset folders. Default `''`. */
  readonly prefix?: string;
  readonly archiveBucket?: string;
  readonly archivePrefix?: string;
  readonly timeZone?: string;
  readonly sourceTimeZone?: string;
  /** Called with each object's run summary (logging, metrics). */
  readonly onSummary?: (object: S3EventObject, summary: RunKpisSummary) => void;
}

/** A Lambda handler for S3 events and SQS-wrapped S3 events. */
export type KpiLambdaHandler = (event: S3Event | SqsEvent) => Promise<S3EventHandlerResult>;

/** Builds the handler around injected clients. */
export function createKpiLambdaHandler(options: KpiLambdaOptions): KpiLambdaHandler {
  const prefix = options.prefix ?? '';
  const streams = `${prefix}streams/`;
  return createS3EventHandler({
    process: async (object) => {
      // The key arrives decoded (`+` → space, then %-escapes).
      if (!object.key.startsWith(streams)) return;
      const errors: string[] = [];
      const summary = await runKpis({
        s3: options.s3,
        dynamo: options.dynamo,
        bucket: object.bucket,
        prefix,
        tableName: options.tableName,
        keys: [object.key],
        ...(options.archiveBucket ? { archiveBucket: options.archiveBucket } : {}),
        ...(options.archivePrefix ? { archivePrefix: options.archivePrefix } : {}),
        ...(options.timeZone ? { timeZone: options.timeZone } : {}),
        ...(options.sourceTimeZone ? { sourceTimeZone: options.sourceTimeZone } : {}),
        onError: (error, context) => {
          errors.push(`${context.date ?? context.key ?? object.key}: ${String(error)}`);
        },
      });
      options.onSummary?.(object, summary);
      if (!summary.ok) {
        throw new Error(
          `s3://${object.bucket}/${object.key}: KPI run failed: ${errors.join('; ')}`,
        );
      }
    },
  });
}

/** Builds the handler from environment variables (see the module comment). */
export function kpiLambdaHandlerFromEnv(env: NodeJS.ProcessEnv = process.env): KpiLambdaHandler {
  const tableName = env.KPI_TABLE;
  if (!tableName) throw new OptionsError('KPI_TABLE must name the KPI table');
  const s3 = new S3Client({
    ...(env.S3_FORCE_PATH_STYLE === 'true' ? { forcePathStyle: true } : {}),
  });
  // The batch writer retries with its own backoff; SDK retries would multiply it.
  const dynamo = new DynamoDBClient({ maxAttempts: 1 });
  return createKpiLambdaHandler({
    s3,
    dynamo,
    tableName,
    ...(env.KPI_PREFIX ? { prefix: env.KPI_PREFIX } : {}),
    ...(env.ARCHIVE_BUCKET ? { archiveBucket: env.ARCHIVE_BUCKET } : {}),
    ...(env.ARCHIVE_PREFIX ? { archivePrefix: env.ARCHIVE_PREFIX } : {}),
    ...(env.TIME_ZONE ? { timeZone: env.TIME_ZONE } : {}),
    ...(env.SOURCE_TIME_ZONE ? { sourceTimeZone: env.SOURCE_TIME_ZONE } : {}),
    onSummary: (object, summary) =>
      console.log(
        JSON.stringify({
          key: object.key,
          rowsRead: summary.streams.rowsRead,
          rowsRejected: summary.streams.rowsRejected,
          itemsWritten: summary.itemsWritten,
          objects: summary.objects,
        }),
      ),
  });
}

let instance: KpiLambdaHandler | undefined;

/**
 * The Lambda entry point. Clients are created on the first invocation and
 * reused by later ones in the same execution environment.
 */
export async function handler(event: S3Event | SqsEvent): Promise<S3EventHandlerResult> {
  instance ??= kpiLambdaHandlerFromEnv();
  return instance(event);
}
