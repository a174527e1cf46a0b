import type { Readable } from 'node:stream';
import { ParseError } from '../../errors.js';
import type { SourceRef } from '../../types.js';

/** Bytes as they come from a file, an S3 body or a `Readable`. */
export type ByteChunk = Uint8Array | string;

/**
 * A source of bytes: a Node `Readable`, an S3 body, an async generator, or an
 * array of chunks (handy in tests).
 */
export type ByteSource = AsyncIterable<ByteChunk> | Iterable<ByteChunk>;

const NEWLINE = 0x0a;

/** Converts a chunk to a Buffer without copying when it already is one. */
export function toBuffer(chunk: ByteChunk): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Options of {@link guardLines}. */
export interface GuardLinesOptions {
  readonly source: SourceRef;
  /** Longest physical line allowed, in bytes (without the newline); `Infinity` skips the check. */
  readonly maxLineBytes: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Passes bytes through while (1) dropping a leading UTF-8 BOM, (2) failing
 * with `EMPTY_FILE` when there are no bytes at all and (3) failing with
 * `LINE_TOO_LONG` and the exact line number as soon as a physical line
 * exceeds `maxLineBytes` — before a downstream parser buffers it, so memory
 * stays bounded by the limit. Uses `Buffer#indexOf` (native) to find newlines.
 */
export async function* guardLines(
  bytes: ByteSource,
  options: GuardLinesOptions,
): AsyncGenerator<Buffer> {
  const { source, maxLineBytes, signal } = options;
  let total = 0;
  let line = 1;
  let lineBytes = 0;
  let first = true;
  for await (const chunk of bytes) {
    signal?.throwIfAborted();
    let buf = toBuffer(chunk);
    if (buf.length === 0) continue;
    total += buf.length;
    if (first) {
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
      }
    }
    let from = 0;
    while (maxLineBytes !== Number.POSITIVE_INFINITY) {
      const nl = buf.indexOf(NEWLINE, from);
      const end = nl === -1 ? buf.length : nl;
      lineBytes += end - from;
      if (lineBytes > maxLineBytes) {
        throw new ParseError(
          'LINE_TOO_LONG',
          `${source.id}: line ${line} is longer than maxRowBytes (${maxLineBytes} bytes)`,
          { source, line },
        );
      }
      if (nl === -1) break;
      line++;
      lineBytes = 0;
      from = nl + 1;
    }
    if (buf.length > 0) yield buf;
  }
  if (total === 0) {
    throw new ParseError('EMPTY_FILE', `${source.id}: file is empty (0 bytes)`, { source });
  }
}

/** Counts `\n` characters in a string (embedded newlines of a CSV field). */
export function countNewlines(s: string): number {
  let n = 0;
  let i = s.indexOf('\n');
  while (i !== -1) {
    n++;
    i = s.indexOf('\n', i + 1);
  }
  return n;
}

/**
 * Destroys a stream and waits until it has closed, so that a `Readable.from`
 * wrapper has returned its source iterator (running the source's `finally`)
 * before the caller goes on.
 */
export async function destroyAndWait(stream: Readable): Promise<void> {
  if (stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closed;
}
