/**
 * The KPI handler around a runtime: SQS batches answer with partial batch
 * responses (Powertools Batch), Distributed Map batches and scheduled
 * reconciliation return the run's compact summary and throw when an object
 * or date failed (so Step Functions and EventBridge count the failure).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { KpiHandlerRuntime } from './environment.js';
import {
  classifyInput,
  type KpiHandlerEvent,
  KpiInputError,
  type NamedObject,
  objectsOfMessage,
} from './inputs.js';
import { type InvocationRunOptions, type KpiRunResult, NO_RUN, runForObjects } from './run.js';

/** A run over an input's objects left failures (they stay for a retry). */
export class KpiRunError extends Error {
  readonly code: 'RUN_FAILED' | 'CLAIMED_ELSEWHERE' = 'RUN_FAILED';
  readonly result: KpiRunResult;
  constructor(message: string, result: KpiRunResult) {
    super(message);
    this.name = 'KpiRunError';
    this.result = result;
  }
}

/**
 * Objects of a message are held by another invocation's live claim: not a
 * failure of this invocation, but the message must come back (the holder
 * may still fail), so it is reported in `batchItemFailures` all the same.
 */
export class KpiClaimedError extends KpiRunError {
  override readonly code = 'CLAIMED_ELSEWHERE';
  constructor(message: string, result: KpiRunResult) {
    super(message, result);
    this.name = 'KpiClaimedError';
  }
}

/** What the handler returns: a partial batch response for SQS, else the run summary. */
export type KpiHandlerResult = SQSBatchResponse | KpiRunResult;

/** The handler's signature. */
export type KpiHandler = (event: KpiHandlerEvent, context: Context) => Promise<KpiHandlerResult>;

/** Time kept back from the invocation's remaining time to log and answer after a timed-out run. */
export const INVOCATION_MARGIN_MS = 5_000;

/**
 * The options every run of one invocation gets: a deadline of the remaining
 * invocation time minus {@link INVOCATION_MARGIN_MS} (at least 1 s), so a
 * stalled run fails with `RUN_TIMEOUT` instead of burning the whole timeout.
 */
export function invocationRunOptions(context: Context): InvocationRunOptions {
  const budget = Math.max(1_000, context.getRemainingTimeInMillis() - INVOCATION_MARGIN_MS);
  return { deadlineAt: Date.now() + budget };
}

/** Builds the handler around a runtime (clients, cache, logger, metrics). */
export function createKpiHandler(rt: KpiHandlerRuntime): KpiHandler {
  const processor = new BatchProcessor(EventType.SQS);
  let cold = true;
  return async (event, context) => {
    rt.logger.addContext(context);
    rt.logger.setCorrelationId(context.awsRequestId);
    if (cold) rt.metrics.captureColdStartMetric(context.functionName);
    cold = false;
    const invocation = invocationRunOptions(context);
    try {
      const work = classifyInput(event);
      rt.logger.appendKeys({ input: work.kind });
      switch (work.kind) {
        case 'sqs':
          return await processPartialResponse(
            work.event,
            async (record: SQSRecord) => {
              rt.logger.setCorrelationId(record.messageId);
              try {
                await runEach(rt, objectsOfMessage(record.body), invocation, record.messageId);
              } catch (error) {
                // Reported in batchItemFailures: SQS redelivers it, then dead-letters it.
                const details = { messageId: record.messageId, error: error as Error };
                // Another invocation's live claim is expected under load: redelivered, not broken.
                if (error instanceof KpiClaimedError)
                  rt.logger.warn("SQS message left to another invocation's live claim", details);
                else rt.logger.error('SQS message failed', details);
                throw error;
              }
            },
            processor,
            // Objects one after the other: one reference table set, bounded memory.
            { context, throwOnFullBatchFailure: false, processInParallel: false },
          );
        case 's3':
          return await runEach(rt, work.objects, invocation, 'S3 event');
        case 'backfill': {
          const bucket = work.bucket ?? rt.settings.bucket;
          if (bucket === undefined)
            throw new KpiInputError('A backfill batch needs BatchInput.bucket or KPI_BUCKET');
          return await checked(
            await runForObjects(rt, bucket, work.objects, invocation),
            'backfill batch',
          );
        }
        case 'reconcile': {
          if (work.id !== undefined) rt.logger.setCorrelationId(work.id);
          const bucket = rt.settings.bucket;
          if (bucket === undefined) throw new KpiInputError('Reconciliation needs KPI_BUCKET');
          return checked(await runForObjects(rt, bucket, undefined, invocation), 'reconciliation');
        }
      }
    } finally {
      if (rt.metrics.hasStoredMetrics()) rt.metrics.publishStoredMetrics();
      rt.logger.resetKeys();
    }
  };
}

/**
 * Runs the objects of one message or event, per bucket; throws on any
 * failure, and for an object left to another invocation's live claim: that
 * holder may still fail, so the message must come back (SQS redelivers it
 * after the visibility timeout, by when the claim has been released or has
 * expired, and the redelivery commits the object or finds it committed).
 */
async function runEach(
  rt: KpiHandlerRuntime,
  objects: readonly NamedObject[],
  invocation: InvocationRunOptions,
  what: string,
): Promise<KpiRunResult> {
  const buckets = new Map<string, NamedObject[]>();
  for (const o of objects) buckets.set(o.bucket, [...(buckets.get(o.bucket) ?? []), o]);
  let last: KpiRunResult | undefined;
  for (const [bucket, named] of buckets) {
    const result = checked(await runForObjects(rt, bucket, named, invocation), what);
    if (result.claimed > 0)
      throw new KpiClaimedError(
        `${what}: ${result.claimed} object(s) held by another invocation's live claim; retry after it ends`,
        result,
      );
    last = result;
  }
  return last ?? NO_RUN;
}

/**
 * The result, or a {@link KpiRunError} when an object or date failed.
 * Objects left to another live claim are not failures here: a backfill or
 * reconciliation reports them (`claimed`) and the holder, its SQS
 * redelivery or the next reconciliation commits them.
 */
function checked(result: KpiRunResult, what: string): KpiRunResult {
  if (!result.ok)
    throw new KpiRunError(
      `${what}: ${result.failed} object(s) failed: ${result.errors.join('; ')}`,
      result,
    );
  return result;
}
