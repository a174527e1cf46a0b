import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';

/** An injected S3 client (anything with the client's `send`). */
export const s3ClientSchema = z.custom<S3Client>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { send?: unknown }).send === 'function',
  'Expected `client` to be an S3Client from @aws-sdk/client-s3',
);

/** An optional AbortSignal. */
export const signalSchema = z
  .custom<AbortSignal>((value) => value instanceof AbortSignal, 'Expected an AbortSignal')
  .optional();

/** A bucket name (S3 allows 3–63 characters). */
export const bucketSchema = z.string().min(3).max(63);

/** A key prefix: empty or ending in `/`. */
export const prefixSchema = z
  .string()
  .refine((p) => p === '' || p.endsWith('/'), 'Expected a prefix that is empty or ends with `/`');

/**
 * The options that name one object and pin it: the operations on a single
 * object (read, archive, reject) extend this with their own.
 */
export const objectOptionsSchema = z.object({
  /** Injected S3 client. */
  client: s3ClientSchema,
  /** Bucket of the object. */
  bucket: bucketSchema,
  /** Key of the object. */
  key: z.string().min(1),
  /**
   * ETag the caller saw (bare or quoted). When given, a different object
   * fails with `OBJECT_CHANGED` instead of being read or moved.
   */
  etag: z.string().min(1).optional(),
});
