import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import {
  BatchWriteError,
  type BatchWriteErrorCode,
  type BatchWriteMetrics,
  describeKeys,
  emptyMetrics,
  type KpiKey,
} from './errors.js';
import { documentClientFor } from './internal/document-client.js';
import { parseOptions, writeConcurrencySchema, writerShape } from './internal/options.js';
import { combineSignals, fullJitterDelay, isThrottlingError, sleep } from './internal/retry.js';
import { sendOptions } from './internal/send-options.js';
import { type DynamoItem, type KpiItem, keyString, kpiKeyOf, toDynamoItem } from './kpi-item.js';

/** Options of {@link createBatchWriter}. */
export const batchWriterOptionsSchema = z
  .object({
    ...writerShape,
    /** BatchWriteItem requests in flight at once (p-limit). Default 4. */
    concurrency: writeConcurrencySchema,
    /** Items per BatchWriteItem request, at most DynamoDB's 25. Default 25. */
    chunkSize: z.number().int().min(1).max(25).default(25),
  })
  .refine((o) => o.maxDelayMs >= o.baseDelayMs, {
    message: 'Expected `maxDelayMs` to be at least `baseDelayMs`',
    path: ['maxDelayMs'],
  });

/** Options of {@link createBatchWriter}. */
export type BatchWriterOptions = z.input<typeof batchWriterOptionsSchema>;

/** Per-call options of {@link BatchWriter.write}. */
export interface WriteCallOptions {
  /** Aborts this call (in addition to the writer's own signal). */
  readonly signal?: AbortSignal;
}

/** Writes KPI items with BatchWriteItem; see {@link createBatchWriter}. */
export interface BatchWriter {
  /**
   * Writes the items (unconditional puts: last writer wins). Resolves with
   * this call's metrics once every item is written; rejects with
   * {@link BatchWriteError} otherwise. Items with the same key in one call
   * are collapsed to the last one.
   */
  write(items: readonly KpiItem[], options?: WriteCallOptions): Promise<BatchWriteMetrics>;
  /** Cumulative metrics of every call so far (a copy). */
  readonly metrics: BatchWriteMetrics;
}

/** Internal: a chunk gave up for a reason other than the budget. */
class ChunkFailure {
  constructor(
    readonly code: BatchWriteErrorCode,
    readonly cause: unknown,
    readonly pending: readonly DynamoItem[],
  ) {}
}

function addInto(total: BatchWriteMetrics, part: BatchWriteMetrics): void {
  total.itemsWritten += part.itemsWritten;
  total.requests += part.requests;
  total.retries += part.retries;
  total.unprocessedResent += part.unprocessedResent;
  total.throttled += part.throttled;
  total.duplicatesDropped += part.duplicatesDropped;
}

/**
 * Creates a batch writer: BatchWriteItem in chunks of ≤ 25 with at most
 * `concurrency` requests in flight (p-limit); keys duplicated within a call
 * are collapsed (last wins, counted), because DynamoDB rejects a whole
 * batch that names a key twice; `UnprocessedItems` and throttling errors
 * are retried with exponential backoff and full jitter, up to
 * `maxAttempts` requests per chunk. Once a chunk exhausts its budget no new
 * chunk starts, and the call rejects with {@link BatchWriteError}
 * (`WRITE_BUDGET_EXHAUSTED`) listing every key not written. Other errors
 * reject with `WRITE_FAILED`, an abort with `ABORTED`.
 *
 * Options are validated here, before any I/O.
 */
export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const o = parseOptions(batchWriterOptionsSchema, options, 'createBatchWriter');
  const doc = documentClientFor(o.client);
  const total = emptyMetrics();

  /** Sends one chunk until written or out of budget; returns the items left unwritten. */
  async function writeChunk(
    chunk: readonly DynamoItem[],
    signal: AbortSignal | undefined,
    m: BatchWriteMetrics,
  ): Promise<readonly DynamoItem[]> {
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new ChunkFailure('ABORTED', signal.reason, pending);
      m.requests++;
      if (attempt > 1) m.retries++;
      let left: readonly DynamoItem[];
      let fromUnprocessed = false;
      try {
        const out = await doc.send(
          new BatchWriteCommand({
            RequestItems: { [o.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
          }),
          sendOptions(signal),
        );
        const returned = out.UnprocessedItems?.[o.tableName] ?? [];
        // Re-send our own marshalled items, not the echoed ones, so nothing
        // depends on how the response was unmarshalled.
        const byKey = new Map(pending.map((item) => [keyString(item), item]));
        left = returned.flatMap((request) => {
          const echoed = request.PutRequest?.Item as DynamoItem | undefined;
          if (echoed === undefined) return [];
          return [byKey.get(keyString(echoed)) ?? echoed];
        });
        m.itemsWritten += pending.length - left.length;
        fromUnprocessed = true;
      } catch (error) {
        if (signal?.aborted) throw new ChunkFailure('ABORTED', signal.reason, pending);
        if (!isThrottlingError(error)) throw new ChunkFailure('WRITE_FAILED', error, pending);
        m.throttled++;
        left = pending;
      }
      if (left.length === 0) return left;
      if (attempt >= o.maxAttempts) return left;
      try {
        await sleep(fullJitterDelay(attempt, o.baseDelayMs, o.maxDelayMs), signal);
      } catch (reason) {
        throw new ChunkFailure('ABORTED', reason, left);
      }
      if (fromUnprocessed) m.unprocessedResent += left.length;
      pending = left;
    }
  }

  async function write(
    items: readonly KpiItem[],
    callOptions: WriteCallOptions = {},
  ): Promise<BatchWriteMetrics> {
    const signal = combineSignals(o.signal, callOptions.signal);
    const m = emptyMetrics();
    // Marshal (and validate) everything before the first request.
    const unique = new Map<string, DynamoItem>();
    for (const item of items) {
      const dynamoItem = toDynamoItem(item);
      const key = keyString(dynamoItem);
      unique.delete(key); // last wins, and takes the later position
      unique.set(key, dynamoItem);
    }
    m.duplicatesDropped = items.length - unique.size;
    const all = [...unique.values()];
    const chunks: DynamoItem[][] = [];
    for (let i = 0; i < all.length; i += o.chunkSize) chunks.push(all.slice(i, i + o.chunkSize));

    const limit = pLimit(o.concurrency);
    const unwritten: KpiKey[] = [];
    let failure: ChunkFailure | undefined;
    let exhausted = false;
    await Promise.all(
      chunks.map((chunk) =>
        limit(async () => {
          if (failure !== undefined || exhausted || signal?.aborted) {
            unwritten.push(...chunk.map(kpiKeyOf));
            return;
          }
          try {
            const left = await writeChunk(chunk, signal, m);
            if (left.length > 0) {
              exhausted = true;
              unwritten.push(...left.map(kpiKeyOf));
            }
          } catch (error) {
            if (!(error instanceof ChunkFailure)) throw error;
            failure ??= error;
            unwritten.push(...error.pending.map(kpiKeyOf));
          }
        }),
      ),
    );
    addInto(total, m);

    if (signal?.aborted && unwritten.length > 0) {
      throw new BatchWriteError(
        'ABORTED',
        `Write to ${o.tableName} aborted; ${unwritten.length} item(s) not written: ${describeKeys(unwritten)}`,
        unwritten,
        m,
        { cause: signal.reason },
      );
    }
    if (failure !== undefined) {
      throw new BatchWriteError(
        failure.code,
        `BatchWriteItem to ${o.tableName} failed (${failure.cause instanceof Error ? failure.cause.name : 'error'}); ` +
          `${unwritten.length} item(s) not written: ${describeKeys(unwritten)}`,
        unwritten,
        m,
        { cause: failure.cause },
      );
    }
    if (unwritten.length > 0) {
      throw new BatchWriteError(
        'WRITE_BUDGET_EXHAUSTED',
        `Gave up writing to ${o.tableName} after ${o.maxAttempts} attempt(s) per chunk; ` +
          `${unwritten.length} item(s) not written: ${describeKeys(unwritten)}`,
        unwritten,
        m,
      );
    }
    return m;
  }

  return {
    write,
    get metrics(): BatchWriteMetrics {
      return { ...total };
    },
  };
}
