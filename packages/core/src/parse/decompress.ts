import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { ParseError } from '../errors.js';
import { parseOptions, sourceRefSchema } from '../internal/options.js';
import type { StageContext } from '../types.js';
import { type ByteSource, destroyAndWait, toBuffer } from './internal/bytes.js';

/** Options of {@link decompress}. */
export const decompressOptionsSchema = z.object({
  /** The source object, named in errors. */
  source: sourceRefSchema,
});

/** Options of {@link decompress}. */
export type DecompressOptions = z.input<typeof decompressOptionsSchema>;

/** True when `bytes` starts with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * A byte stage that gunzips its input when the first bytes are the gzip
 * magic number (`1f 8b`) and passes it through unchanged otherwise, whatever
 * the file is called. Concatenated gzip members are supported.
 *
 * Errors: `GZIP_TRUNCATED` when the compressed stream ends early,
 * `GZIP_CORRUPT` for any other zlib failure; both name the source.
 */
export function decompress(
  options: DecompressOptions,
): (bytes: ByteSource, context?: Partial<StageContext>) => AsyncIterable<Buffer> {
  const { source } = parseOptions(decompressOptionsSchema, options, 'decompress');

  return async function* decompressStage(bytes, context) {
    const signal = context?.signal;
    const iterator =
      Symbol.asyncIterator in bytes
        ? bytes[Symbol.asyncIterator]()
        : (async function* () {
            yield* bytes;
          })();
    // Peek until we have the two magic bytes (or the input ends).
    const head: Buffer[] = [];
    let headLength = 0;
    let ended = false;
    while (headLength < 2) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const buf = toBuffer(next.value);
      head.push(buf);
      headLength += buf.length;
    }
    async function* replay(): AsyncGenerator<Buffer> {
      try {
        yield* head;
        if (ended) return;
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            ended = true;
            return;
          }
          yield toBuffer(next.value);
        }
      } finally {
        if (!ended) await iterator.return?.();
      }
    }
    const first = head.length === 1 ? head[0]! : Buffer.concat(head);
    if (!isGzip(first)) {
      yield* replay();
      return;
    }
    const gunzip = createGunzip();
    const input = Readable.from(replay(), { objectMode: false });
    input.on('error', (err) => gunzip.destroy(err));
    input.pipe(gunzip);
    try {
      for await (const chunk of gunzip) {
        signal?.throwIfAborted();
        yield chunk as Buffer;
      }
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'Z_BUF_ERROR') {
        throw new ParseError(
          'GZIP_TRUNCATED',
          `${source.id}: gzip stream is truncated (unexpected end of file)`,
          { source, cause: err },
        );
      }
      if (typeof code === 'string' && code.startsWith('Z_')) {
        throw new ParseError('GZIP_CORRUPT', `${source.id}: gzip data is corrupt: ${String(err)}`, {
          source,
          cause: err,
        });
      }
      throw err;
    } finally {
      input.unpipe(gunzip);
      gunzip.destroy();
      await destroyAndWait(input);
    }
  };
}
