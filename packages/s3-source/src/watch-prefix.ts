import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { parseOptions } from './internal/s3-util.js';
import { bucketSchema, s3ClientSchema } from './internal/schemas.js';
import { DEFAULT_SUFFIXES, listObjects, type S3ObjectInfo } from './list-objects.js';
import { processObjects } from './process-objects.js';

/** Options of {@link watchPrefix}. */
export const watchPrefixOptionsSchema = z.object({
  /** Injected S3 client. */
  client: s3ClientSchema,
  bucket: bucketSchema,
  /** Prefix to poll, e.g. `streams/`. Default `''`. */
  prefix: z.string().default(''),
  /** Suffix filter, as in {@link listObjects}. Default {@link DEFAULT_SUFFIXES}. */
  suffixes: z.array(z.string().min(1)).readonly().default(DEFAULT_SUFFIXES),
  /** Pause between the end of one poll and the start of the next. Default 30,000 ms. */
  intervalMs: z.number().int().min(0).default(30_000),
  /** Objects handled at once within a poll. Default 1. */
  concurrency: z.number().int().min(1).default(1),
  /** Called once per new object (key + ETag). */
  handler: z.custom<(object: S3ObjectInfo, context: { signal: AbortSignal }) => Promise<void>>(
    (v) => typeof v === 'function',
    'Expected `handler` to be a function',
  ),
  /**
   * Called when `handler` fails; the object is retried on the next poll.
   * Default: none, and the first failure stops the watch (the promise rejects).
   */
  onError: z
    .custom<(error: unknown, object: S3ObjectInfo) => void | Promise<void>>(
      (v) => typeof v === 'function',
    )
    .optional(),
  /** Stops the watch: no new poll starts, the wait is cancelled. Required. */
  signal: z.custom<AbortSignal>(
    (v) => v instanceof AbortSignal,
    'Expected `signal` to be an AbortSignal',
  ),
});

/** Options of {@link watchPrefix}. */
export type WatchPrefixOptions = z.input<typeof watchPrefixOptionsSchema>;

/** Counters of a finished watch. */
export interface WatchSummary {
  readonly polls: number;
  readonly handled: number;
  readonly failed: number;
}

/**
 * Poll a prefix every `intervalMs` and call `handler` once per new object
 * (identified by key + ETag, so a replaced object counts as new). Objects that
 * disappear (archived) are forgotten, so memory stays bounded by what the prefix
 * holds. Resolves with a summary when `signal` aborts; no timer is left behind.
 */
export async function watchPrefix(options: WatchPrefixOptions): Promise<WatchSummary> {
  const o = parseOptions(watchPrefixOptionsSchema, options, 'watchPrefix');
  const { signal } = o;
  const seen = new Map<string, string>();
  let polls = 0;
  let handled = 0;
  let failed = 0;
  try {
    while (!signal.aborted) {
      polls += 1;
      const present = new Set<string>();
      async function* fresh(): AsyncGenerator<S3ObjectInfo> {
        for await (const object of listObjects({
          client: o.client,
          bucket: o.bucket,
          prefix: o.prefix,
          suffixes: o.suffixes,
          signal,
        })) {
          present.add(object.key);
          if (seen.get(object.key) !== object.etag) yield object;
        }
      }
      for await (const outcome of processObjects({
        objects: fresh(),
        concurrency: o.concurrency,
        signal,
        process: (object) => o.handler(object, { signal }),
      })) {
        if (outcome.ok) {
          seen.set(outcome.object.key, outcome.object.etag);
          handled += 1;
          continue;
        }
        if (signal.aborted) break;
        failed += 1;
        if (o.onError === undefined) throw outcome.error;
        await o.onError(outcome.error, outcome.object);
      }
      for (const key of seen.keys()) if (!present.has(key)) seen.delete(key);
      await sleep(o.intervalMs, undefined, { signal });
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return { polls, handled, failed };
}
