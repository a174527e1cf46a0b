/**
 * Test helpers: an in-process s3rver on 127.0.0.1 and the client settings it
 * needs. Import from `@streamkpi/s3-source/testing`; needs the optional peer
 * dependency `s3rver`.
 */
/// <reference path="./internal/s3rver.d.ts" />
import crypto from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export {
  cutGets,
  type FaultPlan,
  type FaultProxy,
  isGetOf,
  type S3Fault,
  type SeenRequest,
  slowDownGets,
  startFaultProxy,
} from './internal/s3-fault-proxy.js';

/** Client settings for an S3 emulator at `endpoint`. */
export function s3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // Streamed uploads would otherwise go out aws-chunked, which s3rver stores verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Options of {@link startS3rver}. */
export interface StartS3rverOptions {
  /** Buckets to create at start. Default `[]`. */
  readonly buckets?: readonly string[];
  /** Print s3rver's request log. Default `false`. */
  readonly verbose?: boolean;
  /** Port on 127.0.0.1. Default 0 (a free port, as tests must use). */
  readonly port?: number;
  /** Keep the objects in this existing folder (not deleted by `close`). Default: a new temporary folder. */
  readonly directory?: string;
}

/** A running in-process s3rver. */
export interface RunningS3rver {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** Data directory; a temporary one is deleted by {@link RunningS3rver.close}. */
  readonly directory: string;
  /** A new S3Client for this server; `config` overrides {@link s3ClientConfig}. */
  client(config?: S3ClientConfig): S3Client;
  /** Stop the server, destroy the clients it made and delete its data directory. */
  close(): Promise<void>;
}

/**
 * Start s3rver on 127.0.0.1 on an ephemeral port with a fresh temporary data
 * directory. s3rver decodes `x-amz-copy-source` with `decodeURI`, which leaves
 * `%2B` (`+`) and other reserved escapes encoded, unlike S3; a front
 * middleware re-encodes the header so that correctly encoded copy sources
 * resolve as they do on S3.
 */
export async function startS3rver(options: StartS3rverOptions = {}): Promise<RunningS3rver> {
  enableS3rverContinuationTokens();
  const owned = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 's3rver-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: options.verbose !== true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  keepFoldersOnDelete(server);
  // Requests being handled, file writes included (s3rver writes an object's
  // files after it answered; a client that gave up does not stop them).
  let handling = 0;
  let settled: (() => void) | undefined;
  server.middleware.unshift(async (_ctx, next) => {
    handling++;
    try {
      await next();
    } finally {
      handling--;
      if (handling === 0) settled?.();
    }
  });
  server.middleware.unshift(async (ctx, next) => {
    const header = ctx.req.headers['x-amz-copy-source'];
    if (typeof header === 'string') {
      try {
        ctx.req.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(header));
      } catch {
        // Malformed escapes: let s3rver answer as it would.
      }
    }
    await next();
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (error) {
    if (owned) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    port: address.port,
    directory,
    client(config = {}) {
      const client = new S3Client({ ...s3ClientConfig(endpoint), ...config });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      // Requests still in flight finish first; connections still busy after
      // 5 s are cut.
      const httpServer = server.httpServer;
      httpServer?.closeIdleConnections?.();
      const cut = setTimeout(() => httpServer?.closeAllConnections?.(), 5000);
      try {
        await server.close();
      } finally {
        clearTimeout(cut);
      }
      // Deleting the directory under a write would fail it outside any test:
      // wait for the handlers still running (at most 5 s).
      if (handling > 0) {
        await new Promise<void>((resolve) => {
          const bound = setTimeout(resolve, 5000);
          settled = () => {
            clearTimeout(bound);
            resolve();
          };
        });
      }
      // A write s3rver does not await gets a moment more.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (owned) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Create a bucket through the S3 API (for buckets made after start). */
export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Put one object (a string is stored as UTF-8); resolves to its ETag without quotes. */
export async function putObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
): Promise<string> {
  const out = await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: typeof body === 'string' ? Buffer.from(body) : body,
    }),
  );
  return (out.ETag ?? '').replaceAll('"', '');
}

/**
 * Every key under `prefix` (folder markers included), all ListObjectsV2 pages
 * of at most `pageSize` keys, sorted.
 */
export async function listKeys(
  client: S3Client,
  bucket: string,
  prefix = '',
  pageSize?: number,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        MaxKeys: pageSize,
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

/**
 * s3rver's deleteObject removes the folders a delete leaves empty. A put
 * into that folder at the same moment has already created it and then
 * fails to open its file (ENOENT, thrown inside s3rver, outside any
 * request). Deletes here remove the object's files only: listings come
 * from the files, so an empty folder is invisible to S3 clients.
 */
function keepFoldersOnDelete(server: S3rver): void {
  const store = server.store;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
 * (Node 17+) no longer offers, so every truncated listing fails with
 * InternalError. When DES is unavailable, `des` is mapped to an identity
 * cipher: the token stays opaque to clients and round-trips inside s3rver.
 * Only the `des` algorithm, which would throw otherwise, is affected.
 */
function enableS3rverContinuationTokens(): void {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return;
  } catch {
    // DES unavailable: patch below (idempotent).
  }
  const mutable = crypto as unknown as {
    createCipheriv: (...args: unknown[]) => unknown;
    createDecipheriv: (...args: unknown[]) => unknown;
    __s3rverDes?: true;
  };
  if (mutable.__s3rverDes) return;
  const identity = () => ({
    update: (data: string | Buffer, encoding?: BufferEncoding) =>
      typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data),
    final: () => Buffer.alloc(0),
  });
  const cipher = mutable.createCipheriv;
  const decipher = mutable.createDecipheriv;
  mutable.createCipheriv = (...args) => (args[0] === 'des' ? identity() : cipher(...args));
  mutable.createDecipheriv = (...args) => (args[0] === 'des' ? identity() : decipher(...args));
  mutable.__s3rverDes = true;
}
