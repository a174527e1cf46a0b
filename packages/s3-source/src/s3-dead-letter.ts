import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type DeadLetterEntry,
  type DeadLetterSink,
  PipelineError,
  type SourceRef,
} from '@streamkpi/core';
import { z } from 'zod';
import { assertSafeObjectKey } from './check-object-key.js';
import { parseOptions, sendOptions } from './internal/s3-util.js';
import { bucketSchema, prefixSchema, s3ClientSchema, signalSchema } from './internal/schemas.js';

/** Options of {@link s3DeadLetter}. */
export const s3DeadLetterOptionsSchema = z.object({
  /** Injected S3 client. */
  client: s3ClientSchema,
  /** Bucket for dead-letter objects. */
  bucket: bucketSchema,
  /** Prefix of dead-letter objects. Default `dead-letter/`. */
  prefix: prefixSchema.default('dead-letter/'),
  /**
   * The source object this sink serves. Optional: entries are grouped by their
   * own `source`; when given, stale parts of this source are removed on close
   * even if no entry was written.
   */
  source: z
    .custom<SourceRef>(
      (v) => typeof v === 'object' && v !== null && 'key' in v,
      'Expected a SourceRef',
    )
    .optional(),
  /** Entries per part object before a new part starts. Default 10,000. */
  maxEntriesPerObject: z.number().int().min(1).default(10_000),
  /** Bytes per part object (NDJSON) before a new part starts. Default 8 MiB. */
  maxBytesPerObject: z
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  /** On close, delete parts numbered beyond those written (left by a longer earlier run). Default `true`. */
  removeStaleParts: z.boolean().default(true),
  /** Cancels uploads; passed to every SDK call. */
  signal: signalSchema,
});

/** Options of {@link s3DeadLetter}. */
export type S3DeadLetterOptions = z.input<typeof s3DeadLetterOptionsSchema>;

/** The S3 dead-letter sink, with what it wrote. */
export interface S3DeadLetterSink extends DeadLetterSink {
  /** Keys of the part objects written so far, in order. */
  readonly keys: readonly string[];
  /** Keys of stale parts deleted on close. */
  readonly removed: readonly string[];
  /**
   * Withdraws the entries instead of closing: drops those held and deletes
   * the parts this sink uploaded — for a source whose rows end up counted
   * nowhere (it failed, to be read again, or it was quarantined whole).
   */
  discard(): Promise<void>;
}

/**
 * Base key of a source's dead-letter parts:
 * `<prefix><source key>.<etag>.dead-letter`; part `n` is
 * `<base>.part-00001.ndjson`. Deterministic, so a re-run overwrites.
 *
 * @throws S3SourceError `UNSAFE_KEY` for a source key `checkObjectKey` refuses.
 */
export function deadLetterBaseKey(prefix: string, source: SourceRef): string {
  assertSafeObjectKey(source.key, source.bucket);
  return `${prefix}${source.key}.${source.etag ?? 'no-etag'}.dead-letter`;
}

interface Group {
  readonly source: SourceRef;
  lines: string[];
  bytes: number;
  parts: number;
}

/**
 * A core {@link DeadLetterSink} writing NDJSON objects to S3, one or more per
 * source object, named from the source key and ETag (+ part number) so a
 * re-run of the same object overwrites its parts instead of adding new ones.
 * Memory is bounded by one part per source being filled. Each part is uploaded
 * as a Buffer (no aws-chunked streaming upload).
 */
export function s3DeadLetter(options: S3DeadLetterOptions): S3DeadLetterSink {
  const o = parseOptions(s3DeadLetterOptionsSchema, options, 's3DeadLetter');
  const groups = new Map<string, Group>();
  const keys: string[] = [];
  const removed: string[] = [];
  let closed = false;

  // Entries come in runs of one source: its group is looked up once per run.
  let lastSource: SourceRef | undefined;
  let lastGroup: Group | undefined;
  function group(source: SourceRef): Group {
    if (source === lastSource && lastGroup !== undefined) return lastGroup;
    const id = deadLetterBaseKey(o.prefix, source);
    let g = groups.get(id);
    if (g === undefined) {
      g = { source, lines: [], bytes: 0, parts: 0 };
      groups.set(id, g);
    }
    lastSource = source;
    lastGroup = g;
    return g;
  }
  if (o.source !== undefined) group(o.source);

  async function flush(g: Group): Promise<void> {
    if (g.lines.length === 0) return;
    g.parts += 1;
    const key = partKey(deadLetterBaseKey(o.prefix, g.source), g.parts);
    const body = Buffer.from(g.lines.join(''));
    g.lines = [];
    g.bytes = 0;
    await o.client.send(
      new PutObjectCommand({
        Bucket: o.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
      }),
      sendOptions(o.signal),
    );
    keys.push(key);
  }

  async function removeStale(g: Group): Promise<void> {
    const base = deadLetterBaseKey(o.prefix, g.source);
    const stale: string[] = [];
    let token: string | undefined;
    do {
      const page = await o.client.send(
        new ListObjectsV2Command({
          Bucket: o.bucket,
          Prefix: `${base}.part-`,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
        sendOptions(o.signal),
      );
      for (const item of page.Contents ?? []) {
        const match = /\.part-(\d+)\.ndjson$/.exec(item.Key ?? '');
        if (item.Key !== undefined && match !== null && Number(match[1]) > g.parts)
          stale.push(item.Key);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    for (let i = 0; i < stale.length; i += 1000) {
      const chunk = stale.slice(i, i + 1000);
      await o.client.send(
        new DeleteObjectsCommand({
          Bucket: o.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
        sendOptions(o.signal),
      );
      removed.push(...chunk);
    }
  }

  return {
    keys,
    removed,
    async write(entries: readonly DeadLetterEntry[]): Promise<void> {
      if (closed) throw new PipelineError('DEAD_LETTER_CLOSED', 's3DeadLetter: write after close');
      o.signal?.throwIfAborted();
      for (const entry of entries) {
        const g = group(entry.source);
        const line = `${JSON.stringify(entry)}\n`;
        g.lines.push(line);
        g.bytes += Buffer.byteLength(line);
        if (g.lines.length >= o.maxEntriesPerObject || g.bytes >= o.maxBytesPerObject)
          await flush(g);
      }
    },
    async discard(): Promise<void> {
      if (closed) return;
      closed = true;
      groups.clear();
      for (let i = 0; i < keys.length; i += 1000) {
        await o.client.send(
          new DeleteObjectsCommand({
            Bucket: o.bucket,
            Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
          }),
          sendOptions(o.signal),
        );
      }
      removed.push(...keys.splice(0));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Aborted with entries seen: nothing held is uploaded, and the close
      // rejects with the signal's reason (not the SDK's AbortError).
      if (groups.size > 0) o.signal?.throwIfAborted();
      for (const g of groups.values()) {
        await flush(g);
        if (o.removeStaleParts) await removeStale(g);
      }
    },
  };
}

function partKey(base: string, part: number): string {
  return `${base}.part-${String(part).padStart(5, '0')}.ndjson`;
}
