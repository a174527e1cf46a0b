/**
 * Pipeline health for the dashboard (placeholder until the run history lands).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';

export interface HealthApi {
  read(signal: AbortSignal): Promise<Record<string, unknown>>;
}

export function createHealthApi(_o: {
  s3: S3Client;
  dynamo: DynamoDBClient;
  bucket: string;
  prefix: string;
  tableName: string;
}): HealthApi {
  return { read: async () => ({}) };
}
