import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3SourceError } from '../errors.js';
import {
  encodeCopySource,
  isNotFound,
  isPreconditionFailed,
  quoteEtag,
  sendOptions,
  stripQuotes,
} from './s3-util.js';

/** Parameters of {@link moveObject}. */
export interface MoveParams {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  readonly targetBucket: string;
  readonly targetKey: string;
  readonly signal: AbortSignal | undefined;
  /** Runs after the copy and before the delete (e.g. write a report). */
  readonly beforeDelete?: () => Promise<void>;
}

/** Outcome of {@link moveObject}. */
export type MoveStatus = 'moved' | 'already-moved';

/**
 * Copy then delete, idempotently: when the source is gone and the target
 * exists, a previous run got through, and this is a no-op. Copy and delete are
 * conditional on the ETag when it is known, so a newer upload under the same
 * key is neither archived under the old name nor deleted.
 */
export async function moveObject(params: MoveParams): Promise<MoveStatus> {
  const { client, bucket, key, etag, targetBucket, targetKey, signal } = params;
  const where = `s3://${bucket}/${key}`;
  // A cancelled move rejects with the signal's reason, not the SDK's AbortError.
  signal?.throwIfAborted();
  try {
    await client.send(
      new CopyObjectCommand({
        Bucket: targetBucket,
        Key: targetKey,
        CopySource: encodeCopySource(bucket, key),
        ...(etag === undefined ? {} : { CopySourceIfMatch: quoteEtag(etag) }),
      }),
      sendOptions(signal),
    );
  } catch (error) {
    if (isPreconditionFailed(error)) {
      throw new S3SourceError('OBJECT_CHANGED', `${where} no longer has ETag ${etag}; not moved`, {
        bucket,
        key,
        cause: error,
      });
    }
    if (!isNotFound(error)) throw error;
    if (await exists(client, targetBucket, targetKey, signal)) return 'already-moved';
    throw new S3SourceError(
      'SOURCE_MISSING',
      `${where} does not exist and neither does s3://${targetBucket}/${targetKey}`,
      { bucket, key, cause: error },
    );
  }
  await params.beforeDelete?.();
  try {
    await client.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(etag === undefined ? {} : { IfMatch: quoteEtag(etag) }),
      }),
      sendOptions(signal),
    );
  } catch (error) {
    if (isPreconditionFailed(error)) {
      throw new S3SourceError(
        'OBJECT_CHANGED',
        `${where} was replaced after it was copied to s3://${targetBucket}/${targetKey}; the new object was kept`,
        { bucket, key, cause: error },
      );
    }
    if (!isNotFound(error)) throw error;
  }
  return 'moved';
}

/** What a HEAD of an existing object tells. */
export interface HeadInfo {
  /** ETag with the quotes stripped. */
  readonly etag: string;
  readonly lastModified: Date | undefined;
}

/** HEAD an object: its bare ETag and Last-Modified, or undefined when it does not exist. */
export async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<HeadInfo | undefined> {
  try {
    const out = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
      sendOptions(signal),
    );
    return { etag: stripQuotes(out.ETag) ?? '', lastModified: out.LastModified };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** HEAD an object: its bare ETag, or undefined when it does not exist. */
export async function headEtag(
  client: S3Client,
  bucket: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  return (await headObject(client, bucket, key, signal))?.etag;
}

async function exists(
  client: S3Client,
  bucket: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  return (await headEtag(client, bucket, key, signal)) !== undefined;
}

/**
 * Keep the zero-byte "folder" marker of a prefix (e.g. `streams/`): created
 * only when missing, so it does not fire ObjectCreated events on every move.
 * Returns true when it had to be created.
 */
export async function ensureFolderMarker(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (prefix === '' || !prefix.endsWith('/')) return false;
  if (await exists(client, bucket, prefix, signal)) return false;
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: prefix, Body: Buffer.alloc(0) }),
    sendOptions(signal),
  );
  return true;
}

/** `key` relative to `prefix`, or an error naming both. */
export function relativeKey(key: string, prefix: string): string {
  if (!key.startsWith(prefix)) {
    throw new S3SourceError('SOURCE_MISSING', `Key '${key}' is not under prefix '${prefix}'`, {
      key,
    });
  }
  return key.slice(prefix.length);
}
