import type { Batch, StageContext } from '@streamkpi/core';
import { z } from 'zod';
import {
  type BatchWriterOptions,
  batchWriterOptionsSchema,
  createBatchWriter,
} from './batch-writer.js';
import type { BatchWriteMetrics } from './errors.js';
import { parseOptions } from './internal/options.js';
import type { KpiItem } from './kpi-item.js';

/** Options of {@link writeDynamoDb}: the batch writer's, plus `flushItems`. */
export const writeDynamoDbOptionsSchema = batchWriterOptionsSchema.and(
  z.object({
    /**
     * Items buffered across incoming batches before a write; default
     * `chunkSize × concurrency`, enough to keep every request slot busy.
     */
    flushItems: z.number().int().min(1).max(1_000_000).optional(),
  }),
);

/** Options of {@link writeDynamoDb}. */
export type WriteDynamoDbOptions = BatchWriterOptions & {
  /** Items buffered across incoming batches before a write. Default `chunkSize × concurrency`. */
  readonly flushItems?: number;
};

/**
 * The sink stage that ends a pipeline: consumes batches of KPI items and
 * writes them with a {@link createBatchWriter} writer; resolves with the
 * metrics. Items are buffered across batches and sent in whole chunks;
 * flushes run one after another, so when the same key arrives twice the
 * later item wins in the table too.
 *
 * ```ts
 * const metrics = await pipeline(kpiBatches, writeDynamoDb({ client, tableName }), { signal });
 * ```
 */
export function writeDynamoDb(
  options: WriteDynamoDbOptions,
): (source: AsyncIterable<Batch<KpiItem>>, context?: StageContext) => Promise<BatchWriteMetrics> {
  const parsed = parseOptions(writeDynamoDbOptionsSchema, options, 'writeDynamoDb');
  // The writer's schema strips `flushItems`.
  const writer = createBatchWriter(options);
  const threshold = parsed.flushItems ?? parsed.chunkSize * parsed.concurrency;

  return async (source, context) => {
    const call = context === undefined ? {} : { signal: context.signal };
    let buffer: KpiItem[] = [];
    for await (const batch of source) {
      for (const item of batch) buffer.push(item);
      if (buffer.length >= threshold) {
        // Send whole chunks only; the remainder waits for the next batch.
        const whole = Math.max(
          Math.floor(buffer.length / parsed.chunkSize) * parsed.chunkSize,
          Math.min(buffer.length, parsed.chunkSize),
        );
        const items = buffer.slice(0, whole);
        buffer = buffer.slice(whole);
        await writer.write(items, call);
      }
    }
    if (buffer.length > 0) await writer.write(buffer, call);
    return writer.metrics;
  };
}
