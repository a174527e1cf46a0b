import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';

/**
 * The injected low-level client. Checked structurally (a `send` method)
 * rather than with `instanceof`, so two copies of the SDK in one install
 * still work.
 */
export const dynamoClientSchema = z.custom<DynamoDBClient>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { send?: unknown }).send === 'function' &&
    typeof (value as { middlewareStack?: unknown }).middlewareStack === 'object',
  { message: 'Expected `client` to be a DynamoDBClient from @aws-sdk/client-dynamodb' },
);

/** DynamoDB table names: 3–255 characters of `[a-zA-Z0-9_.-]`. */
export const tableNameSchema = z
  .string({ message: 'Expected `tableName` to be a string' })
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, {
    message: 'Expected `tableName` to be 3–255 characters of a-z, A-Z, 0-9, `_`, `-`, `.`',
  });

/** A key prefix: `''` or ending with `/`. */
export const prefixSchema = z.string().refine((p) => p === '' || p.endsWith('/'), {
  message: "Expected a prefix that is '' or ends with '/'",
});

/** An S3 bucket name (3–63 characters). */
export const bucketSchema = z.string().min(3).max(63);

/** An optional AbortSignal. */
export const signalSchema = z.custom<AbortSignal>((value) => value instanceof AbortSignal, {
  message: 'Expected `signal` to be an AbortSignal',
});

/** Retry settings shared by the batch writer and the conditional puts. */
export const retryShape = {
  /** Requests per chunk (first attempt included) before giving up. Default 8. */
  maxAttempts: z
    .number()
    .int()
    .min(1, { message: 'Expected `maxAttempts` to be an integer from 1 and up' })
    .max(100)
    .default(8),
  /** Backoff base: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs·2^(n-1))). Default 50. */
  baseDelayMs: z.number().min(0).max(60_000).default(50),
  /** Backoff ceiling in ms. Default 5000. */
  maxDelayMs: z.number().min(0).max(300_000).default(5_000),
};

/** Options of every KPI writer (the batch writer and the conditional puts). */
export const writerShape = {
  /** Injected low-level DynamoDB client (wrapped in a document client internally). */
  client: dynamoClientSchema,
  /** Table name. */
  tableName: tableNameSchema,
  ...retryShape,
  /** Aborts the writes and their retries. */
  signal: signalSchema.optional(),
};

/** Requests in flight at once (p-limit) of the batch writer and the conditional puts. Default 4. */
export const writeConcurrencySchema = z
  .number()
  .int()
  .min(1, { message: 'Expected `concurrency` to be an integer from 1 and up' })
  .max(256)
  .default(4);

/** The one options helper of every package (core's): same checks, same message format. */
export { parseOptions } from '@streamkpi/core';
