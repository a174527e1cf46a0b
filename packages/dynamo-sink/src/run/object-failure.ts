/**
 * How a run tells one object's failures apart: the step it failed in, an
 * error that names the key, whether a retry may succeed (network,
 * throttling, timeouts, 5xx) or never can (what the object's bytes say:
 * quarantined instead), and the retries with backoff of the first kind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineError, unprocessableFile } from '@streamkpi/core';
import { S3SourceError } from '@streamkpi/s3-source';
import type { ObjectOutcome } from './outcomes.js';

/** Where in an object's flow a failure happened. */
export type ObjectStep = 'claim' | 'capture' | 'commit' | 'archive';

/** One object's step failed; the message names the object, the step and the cause. */
export class ObjectFailedError extends PipelineError {
  readonly key: string;
  readonly step: ObjectStep;
  /** The date whose commit failed (step `commit`). */
  readonly date: string | undefined;

  constructor(bucket: string, key: string, step: ObjectStep, cause: unknown, date?: string) {
    const what = date === undefined ? step : `${step} of ${date}`;
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('OBJECT_FAILED', `s3://${bucket}/${key}: ${what} failed: ${why}`, { cause });
    this.name = 'ObjectFailedError';
    this.key = key;
    this.step = step;
    this.date = date;
  }
}

/** Runs one step of `key`'s flow; what it throws comes out as an {@link ObjectFailedError}. */
export async function step<T>(
  bucket: string,
  key: string,
  name: ObjectStep,
  run: () => Promise<T>,
  date?: string,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ObjectFailedError) throw error;
    throw new ObjectFailedError(bucket, key, name, error, date);
  }
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestTimeout',
  'TimeoutError',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'RESUME_EXHAUSTED',
  // A timeout on a pool thread's client, rebuilt here without its cause.
  'REQUEST_TIMEOUT',
  'WRITE_BUDGET_EXHAUSTED',
]);

/**
 * True when a retry of the object may succeed: a network error (`aborted`
 * sockets included), throttling, a timeout or a 5xx, anywhere in the cause
 * chain. False for what can never succeed (`unprocessableFile`), for an
 * object replaced while read, and for anything unknown.
 */
export function isTransient(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (unprocessableFile(e) !== undefined) return false;
    if (e instanceof S3SourceError && e.code === 'OBJECT_CHANGED') return false;
    const x = e as Error & {
      code?: unknown;
      $retryable?: unknown;
      $metadata?: { httpStatusCode?: number };
    };
    const status = x.$metadata?.httpStatusCode ?? 0;
    if (x.$retryable !== undefined || status >= 500 || status === 429) return true;
    // (An SDK error rebuilt after a pool thread carries its name as its code.)
    const code = String(x.code);
    if (TRANSIENT_NAMES.has(x.name) || TRANSIENT_NAMES.has(code) || TRANSIENT_CODES.has(code)) {
      return true;
    }
    if (x.message === 'aborted') return true;
    e = x.cause;
  }
  return false;
}

/** Retries of one object within a run. */
export interface RetryPolicy {
  /** Attempts in all (1: no retry). */
  readonly attempts: number;
  /** Delay before the first retry, doubled per retry (with jitter). */
  readonly baseDelayMs: number;
}

/**
 * Runs an object's flow again while it fails with a transient error (thrown
 * or in its outcome), at most `policy.attempts` times in all, backing off
 * between attempts; the flow is idempotent (a captured object is not read
 * again). Returns (or throws) what the last attempt gave.
 */
export async function withRetries(
  run: () => Promise<ObjectOutcome>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<ObjectOutcome> {
  for (let attempt = 1; ; attempt++) {
    let outcome: ObjectOutcome | undefined;
    let thrown: { error: unknown } | undefined;
    try {
      outcome = await run();
    } catch (error) {
      thrown = { error };
    }
    const error = thrown === undefined ? outcome?.error : thrown.error;
    const again =
      error !== undefined &&
      outcome?.status !== 'rejected' &&
      attempt < policy.attempts &&
      !(signal?.aborted ?? false) &&
      isTransient(error);
    if (!again) {
      if (thrown !== undefined) throw thrown.error;
      return outcome as ObjectOutcome;
    }
    const delay = policy.baseDelayMs * 2 ** (attempt - 1);
    await sleep(delay / 2 + Math.random() * (delay / 2), undefined, signal ? { signal } : {});
  }
}
