/** ETags arrive quoted (`"abc"`); everything in this package uses them bare. */
export function stripQuotes(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^(W\/)?"/, '').replace(/"$/, '');
}

/** Quote a bare ETag for If-Match style headers. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/**
 * `x-amz-copy-source` must be URL-encoded: a raw `+` is read as a space by S3.
 * Each path segment is encoded, the `/` separators are kept.
 */
export function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The service error name (`NoSuchKey`, `PreconditionFailed`, …) or HTTP status of an SDK error. */
export function s3ErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return typeof e.name === 'string' ? e.name : undefined;
}

/** HTTP status of an SDK error, when it carries one. */
export function s3HttpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True for "the object is not there" (404 / NoSuchKey / NotFound). */
export function isNotFound(error: unknown): boolean {
  const name = s3ErrorName(error);
  return name === 'NoSuchKey' || name === 'NotFound' || s3HttpStatus(error) === 404;
}

/** True for a failed If-Match / x-amz-copy-source-if-match (412). */
export function isPreconditionFailed(error: unknown): boolean {
  return s3ErrorName(error) === 'PreconditionFailed' || s3HttpStatus(error) === 412;
}

/** The one options helper of every package (core's): same checks, same message format. */
export { parseOptions } from '@streamkpi/core';

/** Throw the signal's reason if it is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/** SDK `send` options carrying the caller's AbortSignal. */
export function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}
