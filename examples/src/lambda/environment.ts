/**
 * What a Lambda execution environment keeps between invocations: settings
 * read once from the environment, the AWS clients, the Powertools logger and
 * metrics, and the reference cache (songs and users tables reused while their
 * objects' ETags are unchanged).
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import { createReferenceCache, type ReferenceCache } from '@streamkpi/dynamo-sink';
import { type HttpTimeoutsOptions, httpTimeouts } from '@streamkpi/s3-source';
import { z } from 'zod';
import { METRIC_NAMESPACE, SERVICE_NAME } from './metric-names.js';

const milliseconds = (name: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, `Expected ${name} to be a whole number of milliseconds`)
    .transform(Number)
    .optional();

const folder = z.string().refine((p) => p === '' || p.endsWith('/'), {
  message: "Expected a prefix that is '' or ends with '/'",
});

/** The handler's environment variables. */
export const kpiHandlerEnvSchema = z.object({
  /** KPI table (required). */
  KPI_TABLE: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'Expected KPI_TABLE to name the KPI table'),
  /** State table of the commit protocol. Default `<KPI_TABLE>-state`. */
  KPI_STATE_TABLE: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'Expected KPI_STATE_TABLE to name the state table')
    .optional(),
  /** Data bucket: for scheduled reconciliation and backfill batches without a bucket. */
  KPI_BUCKET: z.string().min(3).max(63).optional(),
  /** Prefix above `songs/`, `users/`, `streams/`. Default `''`. */
  KPI_PREFIX: folder.default(''),
  /** `false` when the tables are managed elsewhere (the CDK stack). Default `true`. */
  KPI_CREATE_TABLE: z.enum(['true', 'false']).default('true'),
  ARCHIVE_BUCKET: z.string().min(3).max(63).optional(),
  ARCHIVE_PREFIX: folder.optional(),
  TIME_ZONE: z.string().min(1).default('UTC'),
  SOURCE_TIME_ZONE: z.string().min(1).default('UTC'),
  /** `true` for S3-compatible endpoints that need path-style addressing. */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  /** Milliseconds to connect to S3 or DynamoDB. Default 5,000 (`httpTimeouts`). */
  HTTP_CONNECTION_TIMEOUT_MS: milliseconds('HTTP_CONNECTION_TIMEOUT_MS'),
  /** Milliseconds to wait for an answer, and between two bytes of it. Default 60,000 (`httpTimeouts`). */
  HTTP_REQUEST_TIMEOUT_MS: milliseconds('HTTP_REQUEST_TIMEOUT_MS'),
});

/** Settings of the handler, resolved from the environment. */
export interface KpiHandlerSettings {
  readonly tableName: string;
  /** The state table; undefined: `runKpis`'s default, `<tableName>-state`. */
  readonly stateTableName: string | undefined;
  readonly bucket: string | undefined;
  readonly prefix: string;
  readonly createTable: boolean;
  readonly archiveBucket: string | undefined;
  readonly archivePrefix: string | undefined;
  readonly timeZone: string;
  readonly sourceTimeZone: string;
}

/** Everything kept per execution environment. */
export interface KpiHandlerRuntime {
  readonly settings: KpiHandlerSettings;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly referenceCache: ReferenceCache;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Reads the settings; throws `OptionsError` naming every bad variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): {
  readonly settings: KpiHandlerSettings;
  readonly forcePathStyle: boolean;
  readonly timeouts: HttpTimeoutsOptions;
} {
  const parsed = kpiHandlerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new OptionsError(`Invalid KPI handler environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    settings: {
      tableName: e.KPI_TABLE,
      stateTableName: e.KPI_STATE_TABLE,
      bucket: e.KPI_BUCKET,
      prefix: e.KPI_PREFIX,
      createTable: e.KPI_CREATE_TABLE === 'true',
      archiveBucket: e.ARCHIVE_BUCKET,
      archivePrefix: e.ARCHIVE_PREFIX,
      timeZone: e.TIME_ZONE,
      sourceTimeZone: e.SOURCE_TIME_ZONE,
    },
    forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
    timeouts: {
      ...(e.HTTP_CONNECTION_TIMEOUT_MS === undefined
        ? {}
        : { connectionTimeoutMs: e.HTTP_CONNECTION_TIMEOUT_MS }),
      ...(e.HTTP_REQUEST_TIMEOUT_MS === undefined
        ? {}
        : { requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS }),
    },
  };
}

/**
 * Builds the runtime from the environment: clients (endpoints, region and
 * credentials from the standard SDK variables; every connection and request
 * bounded by `httpTimeouts`, so a stalled connection fails its attempt
 * instead of holding the invocation to its timeout), logger and metrics
 * (`POWERTOOLS_*` variables override the service name and namespace).
 */
export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): KpiHandlerRuntime {
  const { settings, forcePathStyle, timeouts } = settingsFromEnv(env);
  return {
    settings,
    s3: new S3Client({
      ...(forcePathStyle ? { forcePathStyle: true } : {}),
      ...httpTimeouts(timeouts),
    }),
    // The batch writer retries with its own backoff; SDK retries would multiply it.
    dynamo: new DynamoDBClient({ maxAttempts: 1, ...httpTimeouts(timeouts) }),
    referenceCache: createReferenceCache(),
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME }),
  };
}
