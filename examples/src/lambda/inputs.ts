/**
 * The inputs the handler accepts, told apart by shape: SQS messages carrying
 * S3 notifications (the stack's path), a Step Functions Distributed Map batch
 * (`{ Items, BatchInput }`, items from S3 ListObjectsV2), an EventBridge
 * scheduled event (reconciliation over the prefix), and a direct S3
 * notification.
 */
import { decodeS3EventKey, type S3EventRecord } from '@streamkpi/s3-source';
import type { SQSEvent } from 'aws-lambda';

/** One object named by an input, key decoded. */
export interface NamedObject {
  readonly bucket: string;
  readonly key: string;
  /** When it landed (S3 event time or LastModified), for the commit latency. */
  readonly landedAt: Date | undefined;
}

/** A Distributed Map batch: an ItemBatcher's `{ Items, BatchInput }`. */
export interface BackfillBatch {
  readonly Items: ReadonlyArray<{
    readonly Key: string;
    readonly Etag?: string;
    readonly LastModified?: string;
    readonly Size?: number;
  }>;
  readonly BatchInput?: { readonly bucket?: string };
}

/** An EventBridge scheduled event (the fields used). */
export interface ScheduledEvent {
  readonly source: 'aws.events';
  readonly 'detail-type': 'Scheduled Event';
  readonly time?: string;
  readonly id?: string;
}

/** A direct S3 notification. */
export interface S3Notification {
  readonly Records: readonly S3EventRecord[];
}

/** Every input the handler accepts. */
export type KpiHandlerEvent = SQSEvent | BackfillBatch | ScheduledEvent | S3Notification;

/** What an input asks for. */
export type KpiWork =
  | { readonly kind: 'sqs'; readonly event: SQSEvent }
  | {
      readonly kind: 'backfill';
      readonly objects: readonly NamedObject[];
      readonly bucket: string | undefined;
    }
  | { readonly kind: 'reconcile'; readonly id: string | undefined }
  | { readonly kind: 's3'; readonly objects: readonly NamedObject[] };

/** Thrown for an input of none of the accepted shapes. */
export class KpiInputError extends Error {
  readonly code = 'INVALID_EVENT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KpiInputError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Tells the input's kind; throws {@link KpiInputError} for anything else. */
export function classifyInput(event: unknown): KpiWork {
  if (!isObject(event)) throw new KpiInputError('Expected an event object');
  if (Array.isArray(event.Items)) {
    const batch = event as unknown as BackfillBatch;
    const objects = batch.Items.map((item) => {
      if (!isObject(item) || typeof item.Key !== 'string')
        throw new KpiInputError('Expected every backfill item to have a `Key` (S3 ListObjectsV2)');
      return {
        bucket: '',
        key: item.Key,
        landedAt: item.LastModified === undefined ? undefined : new Date(item.LastModified),
      };
    });
    return { kind: 'backfill', objects, bucket: batch.BatchInput?.bucket };
  }
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') {
    return { kind: 'reconcile', id: typeof event.id === 'string' ? event.id : undefined };
  }
  if (Array.isArray(event.Records)) {
    const records = event.Records as unknown[];
    if (records.every((r) => isObject(r) && r.eventSource === 'aws:sqs'))
      return { kind: 'sqs', event: event as unknown as SQSEvent };
    if (records.every((r) => isObject(r) && isObject(r.s3)))
      return { kind: 's3', objects: createdObjects(records as S3EventRecord[]) };
  }
  throw new KpiInputError(
    'Expected an SQS event, a Distributed Map batch ({ Items, BatchInput }), a scheduled event or an S3 event',
  );
}

/**
 * The created objects of an SQS message body: an S3 notification, or one
 * wrapped in an SNS envelope. S3's `s3:TestEvent` names none. Throws
 * {@link KpiInputError} for a body that is neither.
 */
export function objectsOfMessage(body: string): NamedObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new KpiInputError('SQS message body is not JSON', { cause: error });
  }
  if (isObject(parsed) && parsed.Type === 'Notification' && typeof parsed.Message === 'string')
    return objectsOfMessage(parsed.Message);
  if (isObject(parsed) && parsed.Event === 's3:TestEvent') return [];
  if (!isObject(parsed) || !Array.isArray(parsed.Records))
    throw new KpiInputError('SQS message body is not an S3 event notification (no Records)');
  return createdObjects(parsed.Records as S3EventRecord[]);
}

function createdObjects(records: readonly S3EventRecord[]): NamedObject[] {
  const objects: NamedObject[] = [];
  for (const record of records) {
    if (!isObject(record) || !isObject(record.s3) || typeof record.eventName !== 'string')
      throw new KpiInputError('S3 event record without `eventName` and `s3`');
    if (!record.eventName.startsWith('ObjectCreated:')) continue;
    const time = (record as { eventTime?: unknown }).eventTime;
    objects.push({
      bucket: record.s3.bucket.name,
      key: decodeS3EventKey(record.s3.object.key),
      landedAt: typeof time === 'string' ? new Date(time) : undefined,
    });
  }
  return objects;
}
