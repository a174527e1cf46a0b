/**
 * Objects that can never be processed: moved to `rejected/` with a report
 * saying why, so no later run retries them.
 */
import {
  type ObjectKeyProblem,
  rejectObject,
  type S3ObjectInfo,
  S3SourceError,
} from '@streamkpi/s3-source';
import type { CaptureContext, Captured } from './capture-object.js';

/**
 * A key that other keys must not be built from (`..` segments, control
 * characters) can never be processed: it is moved to `rejected/` under a
 * hashed stand-in with a report naming it, so no later run retries it.
 */
export async function quarantineUnsafeKey(
  object: S3ObjectInfo,
  problem: ObjectKeyProblem,
  c: CaptureContext,
): Promise<Captured> {
  const error = new S3SourceError('UNSAFE_KEY', `Unsafe stream object key: ${problem.message}`, {
    bucket: object.bucket,
    key: object.key,
  });
  await quarantine(object, object.etag, error.message, [], c);
  return { status: 'rejected', key: object.key, etag: object.etag, error };
}

/** Moves an object that can never be processed to `rejected/` with a report saying why. */
export async function quarantine(
  object: S3ObjectInfo,
  etag: string,
  reason: string,
  missing: readonly string[],
  c: CaptureContext,
): Promise<void> {
  await rejectObject({
    client: c.s3,
    bucket: object.bucket,
    key: object.key,
    etag,
    sourcePrefix: c.layout.streams,
    rejectedPrefix: c.layout.rejected,
    missing,
    reason,
    ...(c.signal ? { signal: c.signal } : {}),
  });
}
