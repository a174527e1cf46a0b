import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Batch, SourceRef } from '@streamkpi/core';
import { z } from 'zod';
import { parseOptions, sendOptions, stripQuotes } from './internal/s3-util.js';
import { bucketSchema, s3ClientSchema, signalSchema } from './internal/schemas.js';

/** File suffixes the pipeline can read, matched case-insensitively. */
export const DEFAULT_SUFFIXES: readonly string[] = [
  '.csv',
  '.csv.gz',
  '.ndjson',
  '.ndjson.gz',
  '.jsonl',
  '.jsonl.gz',
  '.json',
  '.json.gz',
  '.gz',
];

/** Options of {@link listObjects} and {@link listObjectPages}. */
export const listObjectsOptionsSchema = z.object({
  /** Injected S3 client. */
  client: s3ClientSchema,
  /** Bucket to list. */
  bucket: bucketSchema,
  /** Key prefix, e.g. `streams/`. Default `''` (whole bucket). */
  prefix: z.string().default(''),
  /** Keep only keys ending with one of these (case-insensitive). Default {@link DEFAULT_SUFFIXES}; `[]` keeps all. */
  suffixes: z.array(z.string().min(1)).readonly().default(DEFAULT_SUFFIXES),
  /** Keys per ListObjectsV2 page (1–1000). Default 1000. */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /** Start listing after this key (exclusive). */
  startAfter: z.string().optional(),
  /** Cancels the listing; passed to every SDK call. */
  signal: signalSchema,
});

/** Options of {@link listObjects}. */
export type ListObjectsOptions = z.input<typeof listObjectsOptionsSchema>;

/** One listed S3 object. */
export interface S3ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  /** ETag with the quotes stripped. */
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date | undefined;
}

/**
 * List objects under a prefix lazily, one ListObjectsV2 page per batch: the
 * next page is requested only when the consumer asks for it. Folder markers
 * (keys ending in `/`) and keys without an accepted suffix are skipped; a
 * page that filters down to nothing is not yielded.
 */
export async function* listObjectPages(
  options: ListObjectsOptions,
): AsyncGenerator<Batch<S3ObjectInfo>> {
  const { client, bucket, prefix, suffixes, pageSize, startAfter, signal } = parseOptions(
    listObjectsOptionsSchema,
    options,
    'listObjects',
  );
  const lowered = suffixes.map((s) => s.toLowerCase());
  let token: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: pageSize,
        ...(token === undefined ? {} : { ContinuationToken: token }),
        ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
      }),
      sendOptions(signal),
    );
    const batch: S3ObjectInfo[] = [];
    for (const item of page.Contents ?? []) {
      const key = item.Key;
      if (key === undefined || key.endsWith('/')) continue;
      if (lowered.length > 0 && !lowered.some((s) => key.toLowerCase().endsWith(s))) continue;
      batch.push({
        bucket,
        key,
        etag: stripQuotes(item.ETag) ?? '',
        size: item.Size ?? 0,
        lastModified: item.LastModified,
      });
    }
    if (batch.length > 0) yield batch;
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Like {@link listObjectPages}, one object at a time (still fetched page by page). */
export async function* listObjects(options: ListObjectsOptions): AsyncGenerator<S3ObjectInfo> {
  for await (const page of listObjectPages(options)) yield* page;
}

/** The core {@link SourceRef} of an S3 object: id `s3://bucket/key#etag`. */
export function sourceRefOf(object: {
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string | undefined;
}): SourceRef {
  const id = `s3://${object.bucket}/${object.key}${object.etag ? `#${object.etag}` : ''}`;
  return object.etag
    ? { id, bucket: object.bucket, key: object.key, etag: object.etag }
    : { id, bucket: object.bucket, key: object.key };
}
