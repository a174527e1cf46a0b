/**
 * The dashboard's health endpoint: the pipeline's status as
 * `readPipelineStatus` reads it from S3 and the KPI table (last runs,
 * pending objects, quarantined files, dead letters, commits per date), plus
 * how long the oldest waiting object has been waiting.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { type PipelineStatus, readPipelineStatus } from '@streamkpi/dynamo-sink';

/** Run records shown on the page. */
export const HEALTH_RUNS = 10;

/** `GET /api/health` with a bucket. */
export interface DashboardHealth extends PipelineStatus {
  /**
   * Milliseconds since the oldest object still in `streams/` landed: the
   * landing → commit lag of data not committed yet (null when none waits).
   */
  readonly oldestPendingAgeMs: number | null;
}

/** Reads the health of one pipeline (bucket, prefix, table). */
export interface HealthApi {
  read(signal: AbortSignal): Promise<DashboardHealth>;
}

/** Options of {@link createHealthApi}. */
export interface HealthApiOptions {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly bucket: string;
  readonly prefix: string;
  readonly tableName: string;
}

/** Creates the health endpoint over the run history and state of `bucket/prefix`. */
export function createHealthApi(options: HealthApiOptions): HealthApi {
  return {
    async read(signal) {
      const status = await readPipelineStatus({ ...options, runs: HEALTH_RUNS, signal });
      // Pending objects come oldest first.
      const landed = status.pending.objects[0]?.lastModified;
      const landedMs = landed === undefined ? Number.NaN : Date.parse(landed);
      return {
        ...status,
        oldestPendingAgeMs: Number.isFinite(landedMs)
          ? Math.max(0, Date.parse(status.checkedAt) - landedMs)
          : null,
      };
    },
  };
}
