import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PipelineError } from '@streamkpi/core';
import { z } from 'zod';
import { parseOptions } from './internal/options.js';

/** Options of {@link createPartialStore}. */
export const partialStoreOptionsSchema = z.object({
  /** Bucket holding the state objects. */
  bucket: z.string().min(3),
  /** Prefix of the state objects. Default `state/`. */
  prefix: z.string().default('state/'),
});

/** Options of {@link createPartialStore}. */
export type PartialStoreOptions = z.input<typeof partialStoreOptionsSchema> & {
  /** Injected S3 client. */
  readonly client: S3Client;
};

/** What a committed source object contributed; stored once its partials are durable. */
export interface ObjectManifest {
  readonly objectId: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly dates: readonly string[];
  readonly rowsRead: number;
  readonly rowsAggregated: number;
  readonly rowsRejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly committedAt: string;
}

/** A stored partial of one date. */
export interface StoredPartial {
  readonly objectId: string;
  readonly key: string;
}

/**
 * Durable, content-addressed store of per-(source object, date) KPI partials
 * in S3. Every write is a whole-object PUT of deterministic content, so
 * writing the same partial twice is a no-op in effect; partials are never
 * deleted, which is what makes the partial count of a date monotonic (see the
 * package README, "Exactly-once protocol").
 */
export interface PartialStore {
  /** Stable id of a source object version: sha256 of bucket, key and ETag. */
  objectIdOf(bucket: string, key: string, etag: string): string;
  putPartial(
    date: string,
    objectId: string,
    bytes: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void>;
  listPartials(date: string, signal?: AbortSignal): Promise<StoredPartial[]>;
  getPartial(partial: StoredPartial, signal?: AbortSignal): Promise<Uint8Array>;
  putManifest(manifest: ObjectManifest, signal?: AbortSignal): Promise<void>;
  getManifest(objectId: string, signal?: AbortSignal): Promise<ObjectManifest | undefined>;
}

/** SDK call options carrying the signal only when there is one (exactOptionalPropertyTypes). */
function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Creates a {@link PartialStore} over an injected S3 client. */
export function createPartialStore(options: PartialStoreOptions): PartialStore {
  const { client, ...rest } = options;
  const { bucket, prefix } = parseOptions(partialStoreOptionsSchema, rest, 'createPartialStore');
  const partialKey = (date: string, objectId: string) =>
    `${prefix}partials/${date}/${objectId}.kpis`;
  const manifestKey = (objectId: string) => `${prefix}objects/${objectId}.json`;
  const checkDate = (date: string) => {
    if (!DATE.test(date)) {
      throw new PipelineError(
        'INVALID_DATE',
        `Expected a YYYY-MM-DD date, got ${JSON.stringify(date)}`,
      );
    }
  };

  return {
    objectIdOf(srcBucket, key, etag) {
      return createHash('sha256')
        .update(`${srcBucket}\u0000${key}\u0000${etag}`)
        .digest('hex')
        .slice(0, 40);
    },

    async putPartial(date, objectId, bytes, signal) {
      checkDate(date);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: partialKey(date, objectId),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: 'application/octet-stream',
        }),
        sendOptions(signal),
      );
    },

    async listPartials(date, signal) {
      checkDate(date);
      const out: StoredPartial[] = [];
      let token: string | undefined;
      const listPrefix = `${prefix}partials/${date}/`;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: listPrefix,
            ContinuationToken: token,
          }),
          sendOptions(signal),
        );
        for (const obj of page.Contents ?? []) {
          if (!obj.Key?.endsWith('.kpis')) continue;
          out.push({ key: obj.Key, objectId: obj.Key.slice(listPrefix.length, -'.kpis'.length) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },

    async getPartial(partial, signal) {
      const res = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: partial.key }),
        sendOptions(signal),
      );
      if (!res.Body)
        throw new PipelineError('STATE_MISSING', `State object ${partial.key} has no body`);
      return res.Body.transformToByteArray();
    },

    async putManifest(manifest, signal) {
      const body = Buffer.from(`${JSON.stringify(manifest)}\n`);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: manifestKey(manifest.objectId),
          Body: body,
          ContentLength: body.byteLength,
          ContentType: 'application/json',
        }),
        sendOptions(signal),
      );
    },

    async getManifest(objectId, signal) {
      try {
        await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: manifestKey(objectId) }),
          sendOptions(signal),
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      const res = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: manifestKey(objectId) }),
        sendOptions(signal),
      );
      const text = (await res.Body?.transformToString('utf8')) ?? '';
      return JSON.parse(text) as ObjectManifest;
    },
  };
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
