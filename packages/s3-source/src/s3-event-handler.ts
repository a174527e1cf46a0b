import { z } from 'zod';
import { S3SourceError } from './errors.js';
import { parseOptions } from './internal/s3-util.js';
import { processObjects } from './process-objects.js';

/** One record of an S3 event notification (the fields used here). */
export interface S3EventRecord {
  readonly eventSource?: string;
  readonly eventName: string;
  readonly s3: {
    readonly bucket: { readonly name: string };
    readonly object: {
      /** URL-encoded, spaces as `+`. */
      readonly key: string;
      readonly size?: number;
      readonly eTag?: string;
      readonly versionId?: string;
      readonly sequencer?: string;
    };
  };
}

/** An S3 event notification, as delivered to Lambda or in an SQS message body. */
export interface S3Event {
  readonly Records: readonly S3EventRecord[];
}

/** One SQS message whose body is an S3 event (or an `s3:TestEvent`). */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSource?: string;
}

/** An SQS event delivered to Lambda. */
export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** The object an event names, key decoded. */
export interface S3EventObject {
  readonly bucket: string;
  readonly key: string;
  /** ETag from the event (quotes stripped), when present. */
  readonly etag: string | undefined;
  readonly size: number | undefined;
  readonly versionId: string | undefined;
  readonly eventName: string;
}

/** Per-record outcome of the handler. */
export interface S3EventRecordResult {
  readonly bucket: string;
  readonly key: string;
  /** `skipped`: not an ObjectCreated event, or a folder marker. */
  readonly status: 'processed' | 'skipped' | 'failed';
  readonly error?: string;
  /** SQS message the record came in, for SQS events. */
  readonly messageId?: string;
}

/** What the handler returns: per-record results, and for SQS the partial-batch failures. */
export interface S3EventHandlerResult {
  readonly results: readonly S3EventRecordResult[];
  /** For SQS events (with ReportBatchItemFailures): messages to redeliver. */
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

/** Options of {@link createS3EventHandler}. */
export const s3EventHandlerOptionsSchema = z.object({
  /** Work for one created object. Must be idempotent: S3 delivers events at least once. */
  process: z.custom<(object: S3EventObject) => Promise<void>>(
    (v) => typeof v === 'function',
    'Expected `process` to be a function',
  ),
  /** Records processed at once. Default 1. */
  concurrency: z.number().int().min(1).default(1),
  /**
   * For direct S3 events: throw (Lambda then retries the whole event) when a
   * record failed. Default `true`. SQS events never throw; they report
   * `batchItemFailures`.
   */
  throwOnFailure: z.boolean().default(true),
});

/** Options of {@link createS3EventHandler}. */
export type S3EventHandlerOptions = z.input<typeof s3EventHandlerOptionsSchema>;

/** Decode an event key: `+` is a space, then percent-escapes. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/**
 * Create a Lambda handler for S3 `ObjectCreated:*` notifications, delivered
 * directly or wrapped in SQS messages (each `body` the JSON of an S3 event, or
 * of an SNS envelope whose `Message` is the S3 event).
 * Other events and folder markers are skipped; S3 `s3:TestEvent` messages too.
 */
export function createS3EventHandler(
  options: S3EventHandlerOptions,
): (event: S3Event | SqsEvent) => Promise<S3EventHandlerResult> {
  const o = parseOptions(s3EventHandlerOptionsSchema, options, 'createS3EventHandler');
  return async (event) => {
    if (typeof event !== 'object' || event === null || !Array.isArray(event.Records)) {
      throw new S3SourceError('INVALID_EVENT', 'Expected an event with a `Records` array');
    }
    const sqs = event.Records.some((r) => typeof (r as Partial<SqsRecord>).body === 'string');
    const work: Array<{ object: S3EventObject; messageId?: string }> = [];
    const results: S3EventRecordResult[] = [];
    const failedMessages = new Set<string>();

    const collect = (records: readonly S3EventRecord[], messageId?: string): void => {
      for (const record of records) {
        const object = toObject(record);
        const skip = !record.eventName.startsWith('ObjectCreated:') || object.key.endsWith('/');
        if (skip) {
          results.push({
            bucket: object.bucket,
            key: object.key,
            status: 'skipped',
            ...(messageId ? { messageId } : {}),
          });
        } else {
          work.push(messageId === undefined ? { object } : { object, messageId });
        }
      }
    };

    if (sqs) {
      for (const message of event.Records as readonly SqsRecord[]) {
        try {
          let body = JSON.parse(message.body) as Partial<S3Event> & {
            Event?: string;
            Type?: string;
            Message?: string;
          };
          // S3 → SNS → SQS: the S3 event is the SNS envelope's Message.
          if (body.Type === 'Notification' && typeof body.Message === 'string') {
            body = JSON.parse(body.Message) as typeof body;
          }
          if (body.Event === 's3:TestEvent') continue;
          if (!Array.isArray(body.Records)) throw new Error('message body has no Records array');
          collect(body.Records, message.messageId);
        } catch (error) {
          failedMessages.add(message.messageId);
          results.push({
            bucket: '',
            key: '',
            status: 'failed',
            error: String(error),
            messageId: message.messageId,
          });
        }
      }
    } else {
      collect(event.Records as readonly S3EventRecord[]);
    }

    for await (const outcome of processObjects({
      objects: work,
      concurrency: o.concurrency,
      process: (item) => o.process(item.object),
    })) {
      const { object, messageId } = outcome.object;
      const base = { bucket: object.bucket, key: object.key, ...(messageId ? { messageId } : {}) };
      if (outcome.ok) {
        results.push({ ...base, status: 'processed' });
      } else {
        results.push({ ...base, status: 'failed', error: String(outcome.error) });
        if (messageId !== undefined) failedMessages.add(messageId);
      }
    }

    const failures = results.filter((r) => r.status === 'failed');
    if (!sqs && o.throwOnFailure && failures.length > 0) {
      throw new S3SourceError(
        'EVENT_FAILED',
        `${failures.length} of ${results.length} record(s) failed: ${failures.map((f) => `s3://${f.bucket}/${f.key}: ${f.error}`).join('; ')}`,
      );
    }
    return {
      results,
      batchItemFailures: [...failedMessages].map((itemIdentifier) => ({ itemIdentifier })),
    };
  };
}

function toObject(record: S3EventRecord): S3EventObject {
  const { bucket, object } = record.s3;
  return {
    bucket: bucket.name,
    key: decodeS3EventKey(object.key),
    etag: object.eTag?.replaceAll('"', ''),
    size: object.size,
    versionId: object.versionId,
    eventName: record.eventName,
  };
}
