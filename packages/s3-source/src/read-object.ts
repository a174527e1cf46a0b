import { addAbortSignal, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { SourceRef } from '@streamkpi/core';
import { z } from 'zod';
import { S3SourceError, type S3SourceErrorCode } from './errors.js';
import {
  isNotFound,
  isPreconditionFailed,
  parseOptions,
  quoteEtag,
  sendOptions,
  stripQuotes,
} from './internal/s3-util.js';
import { objectOptionsSchema, signalSchema } from './internal/schemas.js';
import { sourceRefOf } from './list-objects.js';

/** Options of {@link openObject} and {@link readObject}. */
export const readObjectOptionsSchema = objectOptionsSchema.extend({
  /** Version to read; otherwise the version of the first response is pinned. */
  versionId: z.string().min(1).optional(),
  /** Ranged re-GETs allowed after the body fails mid-stream. Default 5. */
  maxResumes: z.number().int().min(0).default(5),
  /** Delay before the first resume, doubled per resume up to 5 s. Default 200 ms. */
  resumeDelayMs: z.number().int().min(0).default(200),
  /** Cancels the read; passed to every SDK call and destroys the stream. */
  signal: signalSchema,
});

/** Options of {@link openObject} and {@link readObject}. */
export type ReadObjectOptions = z.input<typeof readObjectOptionsSchema>;

/** Counters of one read, updated while it streams. */
export interface ReadStats {
  /** Bytes delivered so far. */
  bytes: number;
  /** Ranged re-GETs performed so far. */
  resumes: number;
}

/** An object opened by {@link openObject}: its identity and a byte stream of its body. */
export interface OpenedObject {
  readonly bucket: string;
  readonly key: string;
  /** ETag (quotes stripped) the read is pinned to. */
  readonly etag: string;
  readonly versionId: string | undefined;
  readonly contentLength: number;
  /** When the object landed (its `Last-Modified`), when the server sent it. */
  readonly lastModified: Date | undefined;
  readonly source: SourceRef;
  /** The object's bytes, exactly once each, across resumes. */
  readonly body: Readable;
  readonly stats: Readonly<ReadStats>;
}

type Options = z.output<typeof readObjectOptionsSchema>;
type Body = AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void };

/**
 * GET an object and return its body as a byte stream that survives failures:
 * when the body errors or ends early, the rest is fetched with a ranged GET
 * (`bytes=<received>-`) pinned to the same ETag (If-Match, and the response
 * ETag is compared because some servers ignore If-Match) and version. The
 * total is checked against Content-Length. Never buffers the object.
 */
export async function openObject(options: ReadObjectOptions): Promise<OpenedObject> {
  const opts = parseOptions(readObjectOptionsSchema, options, 'openObject');
  const wanted = stripQuotes(opts.etag);
  const first = await get(opts, wanted, opts.versionId, undefined);
  const etag = stripQuotes(first.ETag) ?? '';
  if (wanted !== undefined && etag !== wanted) {
    destroyBody(first);
    throw changed(opts, `has ETag ${etag}, expected ${wanted}`);
  }
  const contentLength = first.ContentLength ?? 0;
  const versionId = opts.versionId ?? first.VersionId;
  const stats: ReadStats = { bytes: 0, resumes: 0 };
  const gen = bodyBytes({ opts, pin: { etag, versionId, contentLength }, stats }, first);
  let body = Readable.from(gen, { objectMode: false });
  if (opts.signal) body = addAbortSignal(opts.signal, body);
  return {
    bucket: opts.bucket,
    key: opts.key,
    etag,
    versionId,
    contentLength,
    lastModified: first.LastModified,
    source: sourceRefOf({ bucket: opts.bucket, key: opts.key, etag }),
    body,
    stats,
  };
}

/**
 * Like {@link openObject}, returning the byte stream at once; the first GET
 * happens when the stream is first read, and its failure errors the stream.
 */
export function readObject(options: ReadObjectOptions): Readable {
  const opts = parseOptions(readObjectOptionsSchema, options, 'readObject');
  async function* lazy(): AsyncGenerator<Uint8Array> {
    const opened = await openObject(options);
    yield* opened.body;
  }
  const body = Readable.from(lazy(), { objectMode: false });
  return opts.signal ? addAbortSignal(opts.signal, body) : body;
}

/**
 * The whole body of a small object (stored state, a manifest, a report),
 * read through {@link openObject}: a body cut mid-stream resumes pinned to
 * the ETag of the first response. `undefined` when the object does not exist.
 */
export async function readObjectBytes(options: ReadObjectOptions): Promise<Uint8Array | undefined> {
  let opened: OpenedObject;
  try {
    opened = await openObject(options);
  } catch (error) {
    if (error instanceof S3SourceError && error.code === 'SOURCE_MISSING') return undefined;
    throw error;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of opened.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks, opened.contentLength);
}

interface Pin {
  readonly etag: string;
  readonly versionId: string | undefined;
  readonly contentLength: number;
}

/** One read of an object: its options, what it is pinned to, and how far it got. */
interface Reading {
  readonly opts: Options;
  readonly pin: Pin;
  readonly stats: ReadStats;
}

async function* bodyBytes(
  reading: Reading,
  first: GetObjectCommandOutput,
): AsyncGenerator<Uint8Array> {
  const { opts, pin, stats } = reading;
  let response = first;
  for (;;) {
    let failure: unknown;
    const body = response.Body as Body | undefined;
    try {
      if (body !== undefined) {
        for await (const chunk of body) {
          if (stats.bytes + chunk.length > pin.contentLength) {
            throw objectError(
              opts,
              'LENGTH_MISMATCH',
              `: received more than Content-Length ${pin.contentLength} bytes`,
            );
          }
          stats.bytes += chunk.length;
          yield chunk;
        }
      }
    } catch (error) {
      failure = resumable(opts, error);
    } finally {
      body?.destroy?.();
    }
    if (failure === undefined && stats.bytes === pin.contentLength) return;
    failure ??= new Error(`body ended after ${stats.bytes} of ${pin.contentLength} bytes`);
    response = await resume(reading, failure);
  }
}

/** Ranged re-GET from the first byte not yet delivered, within the resume budget. */
async function resume(reading: Reading, firstFailure: unknown): Promise<GetObjectCommandOutput> {
  const { opts, pin, stats } = reading;
  let failure = firstFailure;
  for (;;) {
    if (stats.resumes >= opts.maxResumes) {
      throw objectError(
        opts,
        'RESUME_EXHAUSTED',
        `: body failed after ${stats.bytes} of ${pin.contentLength} bytes and ${stats.resumes} resume(s) (maxResumes ${opts.maxResumes})`,
        failure,
      );
    }
    stats.resumes += 1;
    if (opts.resumeDelayMs > 0) {
      const delay = Math.min(opts.resumeDelayMs * 2 ** (stats.resumes - 1), 5000);
      await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : {});
    }
    try {
      const response = await get(opts, pin.etag, pin.versionId, `bytes=${stats.bytes}-`);
      const etag = stripQuotes(response.ETag);
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.ContentRange ?? '');
      if (etag !== pin.etag || (range !== null && Number(range[3]) !== pin.contentLength)) {
        destroyBody(response);
        throw changed(opts, `was replaced while reading (ETag ${etag}, expected ${pin.etag})`);
      }
      if (range === null || Number(range[1]) !== stats.bytes) {
        destroyBody(response);
        throw objectError(
          opts,
          'LENGTH_MISMATCH',
          `: ranged GET from byte ${stats.bytes} answered with Content-Range '${response.ContentRange ?? ''}'`,
        );
      }
      return response;
    } catch (error) {
      failure = resumable(opts, error);
    }
  }
}

async function get(
  opts: Options,
  etag: string | undefined,
  versionId: string | undefined,
  range: string | undefined,
): Promise<GetObjectCommandOutput> {
  try {
    return await opts.client.send(
      new GetObjectCommand({
        Bucket: opts.bucket,
        Key: opts.key,
        ...(etag === undefined ? {} : { IfMatch: quoteEtag(etag) }),
        ...(versionId === undefined ? {} : { VersionId: versionId }),
        ...(range === undefined ? {} : { Range: range }),
      }),
      sendOptions(opts.signal),
    );
  } catch (error) {
    if (isPreconditionFailed(error)) throw changed(opts, 'no longer matches its ETag', error);
    if (range !== undefined && isNotFound(error))
      throw changed(opts, 'was deleted while reading', error);
    if (isNotFound(error)) {
      throw objectError(opts, 'SOURCE_MISSING', ' does not exist', error);
    }
    throw error;
  }
}

/** An error about the object being read; `what` follows its `s3://` URL in the message. */
function objectError(
  opts: Options,
  code: S3SourceErrorCode,
  what: string,
  cause?: unknown,
): S3SourceError {
  return new S3SourceError(code, `s3://${opts.bucket}/${opts.key}${what}`, {
    bucket: opts.bucket,
    key: opts.key,
    ...(cause === undefined ? {} : { cause }),
  });
}

function changed(opts: Options, what: string, cause?: unknown): S3SourceError {
  return objectError(opts, 'OBJECT_CHANGED', ` ${what}`, cause);
}

/**
 * `error` when a ranged re-GET may get past it; rethrows this package's own
 * verdicts (changed, length mismatch…) and the abort.
 */
function resumable(opts: Options, error: unknown): unknown {
  if (error instanceof S3SourceError) throw error;
  opts.signal?.throwIfAborted();
  return error;
}

function destroyBody(response: GetObjectCommandOutput): void {
  (response.Body as Body | undefined)?.destroy?.();
}
