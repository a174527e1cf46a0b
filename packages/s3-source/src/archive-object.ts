import { z } from 'zod';
import { assertSafeObjectKey } from './check-object-key.js';
import {
  ensureFolderMarker,
  type MoveStatus,
  moveObject,
  relativeKey,
} from './internal/move-object.js';
import { parseOptions, stripQuotes } from './internal/s3-util.js';
import {
  bucketSchema,
  objectOptionsSchema,
  prefixSchema,
  signalSchema,
} from './internal/schemas.js';

/** Options of {@link archiveObject}. */
export const archiveObjectOptionsSchema = objectOptionsSchema.extend({
  // `key` must start with `sourcePrefix`.
  /** Dataset prefix of the source, e.g. `streams/`; the archive keeps the key below it. */
  sourcePrefix: prefixSchema,
  /** Bucket for archived objects. Default: the source bucket. */
  archiveBucket: bucketSchema.optional(),
  /** Prefix for archived objects. Default `archive/`. */
  archivePrefix: prefixSchema.default('archive/'),
  /** Keep (recreate if missing) the zero-byte marker `sourcePrefix`. Default `true`. */
  keepFolderMarker: z.boolean().default(true),
  /** Cancels the operation; passed to every SDK call. */
  signal: signalSchema,
});

/** Options of {@link archiveObject}. */
export type ArchiveObjectOptions = z.input<typeof archiveObjectOptionsSchema>;

/** What {@link archiveObject} did. */
export interface ArchiveResult {
  /** `moved`: copied and deleted now; `already-moved`: an earlier run did it (no-op). */
  readonly status: MoveStatus;
  readonly source: { readonly bucket: string; readonly key: string };
  readonly archive: { readonly bucket: string; readonly key: string };
  /** True when the folder marker had to be recreated. */
  readonly markerCreated: boolean;
}

/**
 * Archive a committed source object: CopyObject to
 * `archiveBucket/archivePrefix + (key - sourcePrefix)`, then DeleteObject.
 * Idempotent: when the source is gone and the archive copy exists, nothing is
 * done. The dataset folder marker (`sourcePrefix`) is kept.
 *
 * @throws S3SourceError `UNSAFE_KEY` (before any request) for a key that
 * `checkObjectKey` refuses: quarantine it with `rejectObject` instead.
 */
export async function archiveObject(options: ArchiveObjectOptions): Promise<ArchiveResult> {
  const o = parseOptions(archiveObjectOptionsSchema, options, 'archiveObject');
  assertSafeObjectKey(o.key, o.bucket);
  const archiveBucket = o.archiveBucket ?? o.bucket;
  const archiveKey = o.archivePrefix + relativeKey(o.key, o.sourcePrefix);
  const status = await moveObject({
    client: o.client,
    bucket: o.bucket,
    key: o.key,
    etag: stripQuotes(o.etag),
    targetBucket: archiveBucket,
    targetKey: archiveKey,
    signal: o.signal,
  });
  const markerCreated = o.keepFolderMarker
    ? await ensureFolderMarker(o.client, o.bucket, o.sourcePrefix, o.signal)
    : false;
  return {
    status,
    source: { bucket: o.bucket, key: o.key },
    archive: { bucket: archiveBucket, key: archiveKey },
    markerCreated,
  };
}
