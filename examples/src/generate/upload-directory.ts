import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import pLimit from 'p-limit';
import { z } from 'zod';
import { MANIFEST_FILE } from './generate-dataset.js';

/** Options of {@link uploadDirectory} other than the client. */
export const uploadDirectoryOptionsSchema = z.object({
  /** Target bucket (must exist). */
  bucket: z.string().min(3),
  /** Key prefix, e.g. `incoming/`; keys are prefix + the path relative to `dir`. */
  prefix: z.string().default(''),
  /** Local directory, e.g. the `dir` given to `generateDataset`. */
  dir: z.string().min(1),
  /** Parallel uploads. */
  concurrency: z.number().int().min(1).default(4),
  /** Relative paths not to upload; by default the manifest. */
  exclude: z.array(z.string()).default([MANIFEST_FILE]),
});

/** Options of {@link uploadDirectory}. */
export type UploadDirectoryOptions = z.input<typeof uploadDirectoryOptionsSchema> & {
  /**
   * The S3 client. Against s3rver and other S3-compatible servers configure it with
   * `requestChecksumCalculation: 'WHEN_REQUIRED'`: bodies are streamed from disk.
   */
  readonly client: S3Client;
  readonly signal?: AbortSignal;
};

/** One uploaded object. */
export interface UploadedObject {
  readonly key: string;
  readonly bytes: number;
  readonly etag: string | undefined;
}

/** PutObject's limit; larger files need a multipart upload. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/**
 * Uploads every file below `dir` to `s3://bucket/prefix<relative path>`, streaming
 * each from disk with PutObject and an explicit ContentLength (never read into memory).
 * The dataset layout `songs/…`, `users/…`, `streams/…` becomes the bucket layout.
 *
 * @throws OptionsError on invalid options or a file over 5 GiB.
 */
export async function uploadDirectory(options: UploadDirectoryOptions): Promise<UploadedObject[]> {
  const { client, signal, ...rest } = options;
  const parsed = uploadDirectoryOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new OptionsError(`Invalid uploadDirectory options: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  const { bucket, prefix, dir, concurrency, exclude } = parsed.data;
  const files = (await listFiles(dir)).filter((f) => !exclude.includes(f));
  const limit = pLimit(concurrency);
  return Promise.all(
    files.map((path) =>
      limit(async () => {
        signal?.throwIfAborted();
        const file = join(dir, path);
        const bytes = (await stat(file)).size;
        if (bytes > MAX_PUT_BYTES) {
          throw new OptionsError(`${file} is ${bytes} bytes; PutObject takes at most 5 GiB`);
        }
        const key = `${prefix}${path}`;
        const result = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: createReadStream(file),
            ContentLength: bytes,
            ContentType: path.endsWith('.gz') ? 'application/gzip' : 'text/csv; charset=utf-8',
          }),
          signal === undefined ? {} : { abortSignal: signal },
        );
        return { key, bytes, etag: result.ETag?.replaceAll('"', '') };
      }),
    ),
  );
}
