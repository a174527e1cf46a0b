import type { Batch, RawRow, SourceRef } from '../../src/index.js';

/** A local source ref for tests. */
export function testSource(key: string): SourceRef {
  return { id: `test:${key}`, key };
}

/** Splits bytes into chunks of `size` so parsers see arbitrary boundaries. */
export function chunked(input: string | Buffer, size = 7): Buffer[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Drains a stage's output, returning its batches. */
export async function collectBatches<T>(batches: AsyncIterable<Batch<T>>): Promise<Batch<T>[]> {
  const out: Batch<T>[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

/** Drains a parser's output, returning rows flattened. */
export async function collectRows(batches: AsyncIterable<Batch<RawRow>>): Promise<RawRow[]> {
  return (await collectBatches(batches)).flat();
}

/** A runaway line: `size` bytes of `x` without a newline, generated lazily. */
export async function* runawayLine(prefix: string, size: number): AsyncGenerator<Buffer> {
  yield Buffer.from(prefix);
  const block = Buffer.alloc(64 * 1024, 0x78);
  for (let sent = 0; sent < size; sent += block.length) yield block;
}
