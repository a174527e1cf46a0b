import { NumberValue, PutCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import { BatchWriteError, describeKeys, emptyMetrics, type KpiKey } from './errors.js';
import { documentClientFor } from './internal/document-client.js';
import { parseOptions, writeConcurrencySchema, writerShape } from './internal/options.js';
import { fullJitterDelay, isThrottlingError, sleep } from './internal/retry.js';
import { type DynamoItem, type KpiItem, kpiKeyOf, toDynamoItem } from './kpi-item.js';

/** Outcome of a conditional put: `stale` means an equal or newer version is already stored. */
export type PutIfNewerOutcome = 'written' | 'stale';

const common = {
  ...writerShape,
  /** Version to store; the put succeeds only over a missing or strictly lower version. */
  version: z
    .number({ message: 'Expected `version` to be a number' })
    .int()
    .min(0, { message: 'Expected `version` to be a non-negative safe integer' })
    .max(Number.MAX_SAFE_INTEGER),
};

/** Options of {@link putItemIfNewer}. */
export const putItemIfNewerOptionsSchema = z.object({
  ...common,
  /** The item; its own `version`, if any, is replaced by `version`. */
  item: z.custom<KpiItem>((v) => typeof v === 'object' && v !== null, {
    message: 'Expected `item` to be a KPI item object',
  }),
});

/** Options of {@link putItemIfNewer}. */
export type PutItemIfNewerOptions = z.input<typeof putItemIfNewerOptionsSchema>;

/** Options of {@link putItemsIfNewer}. */
export const putItemsIfNewerOptionsSchema = z.object({
  ...common,
  /** The items, all stored with `version`. */
  items: z.array(
    z.custom<KpiItem>((v) => typeof v === 'object' && v !== null, {
      message: 'Expected each item to be a KPI item object',
    }),
  ),
  /** Puts in flight at once (p-limit). Default 4. */
  concurrency: writeConcurrencySchema,
});

/** Options of {@link putItemsIfNewer}. */
export type PutItemsIfNewerOptions = z.input<typeof putItemsIfNewerOptionsSchema>;

/** Result of {@link putItemsIfNewer}. */
export interface PutItemsIfNewerResult {
  /** Items stored by this call. */
  readonly written: number;
  /** Items skipped because an equal or newer version was already stored. */
  readonly stale: number;
  /** Keys of the stale items, with the stored version when DynamoDB returned it. */
  readonly staleKeys: readonly (KpiKey & { readonly storedVersion?: string })[];
  /** PutItem requests sent, retries included. */
  readonly requests: number;
  /** Requests that were retries after throttling. */
  readonly retries: number;
}

type Parsed = z.output<typeof putItemIfNewerOptionsSchema>;
type Settings = Omit<Parsed, 'item'>;
interface Counters {
  requests: number;
  retries: number;
}

const CONDITION = 'attribute_not_exists(#v) OR #v < :v';

async function putOne(
  s: Settings,
  item: DynamoItem,
  counters: Counters,
): Promise<{ outcome: PutIfNewerOutcome; storedVersion?: string }> {
  const doc = documentClientFor(s.client);
  const version = NumberValue.from(String(s.version));
  for (let attempt = 1; ; attempt++) {
    s.signal?.throwIfAborted();
    counters.requests++;
    if (attempt > 1) counters.retries++;
    try {
      await doc.send(
        new PutCommand({
          TableName: s.tableName,
          Item: { ...item, version },
          ConditionExpression: CONDITION,
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': version },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        s.signal === undefined ? {} : { abortSignal: s.signal },
      );
      return { outcome: 'written' };
    } catch (error) {
      s.signal?.throwIfAborted();
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        // The SDK attaches the old item (still marshalled) when DynamoDB returns it.
        const old = (error as { Item?: { version?: { N?: string } } }).Item;
        const storedVersion = old?.version?.N;
        return storedVersion === undefined
          ? { outcome: 'stale' }
          : { outcome: 'stale', storedVersion };
      }
      if (!isThrottlingError(error) || attempt >= s.maxAttempts) throw error;
      await sleep(fullJitterDelay(attempt, s.baseDelayMs, s.maxDelayMs), s.signal);
    }
  }
}

/**
 * Single-item PutItem that only replaces an older version:
 * `attribute_not_exists(#v) OR #v < :v` with `#v` = `version`. Resolves
 * `'written'`, or `'stale'` when an equal or newer version is already
 * stored (not an error: a faster worker got there first). Throttling is
 * retried like the batch writer does; other errors reject.
 *
 * The building block of the exactly-once commit protocol: a slower worker
 * can never overwrite a newer result.
 */
export async function putItemIfNewer(options: PutItemIfNewerOptions): Promise<PutIfNewerOutcome> {
  const { item, ...settings } = parseOptions(
    putItemIfNewerOptionsSchema,
    options,
    'putItemIfNewer',
  );
  const result = await putOne(settings, toDynamoItem(item), { requests: 0, retries: 0 });
  return result.outcome;
}

/**
 * {@link putItemIfNewer} over many items with at most `concurrency` puts in
 * flight (p-limit). All items are validated before the first request. On
 * the first failure no new put starts, and the call rejects with
 * {@link BatchWriteError} (`WRITE_FAILED`, or `ABORTED`) listing the keys
 * whose put did not complete.
 */
export async function putItemsIfNewer(
  options: PutItemsIfNewerOptions,
): Promise<PutItemsIfNewerResult> {
  const { items, concurrency, ...settings } = parseOptions(
    putItemsIfNewerOptionsSchema,
    options,
    'putItemsIfNewer',
  );
  const marshalled = items.map(toDynamoItem);
  const counters: Counters = { requests: 0, retries: 0 };
  const limit = pLimit(concurrency);
  let written = 0;
  const staleKeys: (KpiKey & { storedVersion?: string })[] = [];
  const unfinished: KpiKey[] = [];
  let failure: { cause: unknown } | undefined;
  await Promise.all(
    marshalled.map((item) =>
      limit(async () => {
        if (failure !== undefined || settings.signal?.aborted) {
          unfinished.push(kpiKeyOf(item));
          return;
        }
        try {
          const r = await putOne(settings, item, counters);
          if (r.outcome === 'written') written++;
          else
            staleKeys.push({
              ...kpiKeyOf(item),
              ...(r.storedVersion === undefined ? {} : { storedVersion: r.storedVersion }),
            });
        } catch (cause) {
          failure ??= { cause };
          unfinished.push(kpiKeyOf(item));
        }
      }),
    ),
  );
  if (failure !== undefined || unfinished.length > 0) {
    const aborted = settings.signal?.aborted === true;
    const metrics = { ...emptyMetrics(), itemsWritten: written, ...counters };
    throw new BatchWriteError(
      aborted ? 'ABORTED' : 'WRITE_FAILED',
      `Conditional puts to ${settings.tableName} ${aborted ? 'aborted' : 'failed'}; ` +
        `${unfinished.length} item(s) not written: ${describeKeys(unfinished)}`,
      unfinished,
      metrics,
      { cause: aborted ? settings.signal?.reason : failure?.cause },
    );
  }
  return { written, stale: staleKeys.length, staleKeys, ...counters };
}
