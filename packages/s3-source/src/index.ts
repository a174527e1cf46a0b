export type { ArchiveObjectOptions, ArchiveResult } from './archive-object.js';
export { archiveObject, archiveObjectOptionsSchema } from './archive-object.js';
export type { ObjectKeyProblem } from './check-object-key.js';
export { assertSafeObjectKey, checkObjectKey, unsafeKeyStandIn } from './check-object-key.js';
export type { S3SourceErrorCode, S3SourceErrorOptions } from './errors.js';
export { S3SourceError } from './errors.js';
export type { HttpTimeoutsOptions } from './http-timeouts.js';
export { httpTimeouts, httpTimeoutsOptionsSchema } from './http-timeouts.js';
export type { HeadInfo, MoveStatus } from './internal/move-object.js';
export { headEtag, headObject } from './internal/move-object.js';
export { isNotFound, stripQuotes as stripEtagQuotes } from './internal/s3-util.js';
export type { ListObjectsOptions, S3ObjectInfo } from './list-objects.js';
export {
  DEFAULT_SUFFIXES,
  listObjectPages,
  listObjects,
  listObjectsOptionsSchema,
  sourceRefOf,
} from './list-objects.js';
export type { ProcessObjectsOptions, ProcessOutcome } from './process-objects.js';
export { processObjects, processObjectsOptionsSchema } from './process-objects.js';
export type { OpenedObject, ReadObjectOptions, ReadStats } from './read-object.js';
export { openObject, readObject, readObjectBytes, readObjectOptionsSchema } from './read-object.js';
export type { RejectObjectOptions, RejectReport, RejectResult } from './reject-object.js';
export { rejectObject, rejectObjectOptionsSchema } from './reject-object.js';
export { describeRequest, isTimeoutError, RequestTimeoutError } from './request-timeout.js';
export type { S3DeadLetterOptions, S3DeadLetterSink } from './s3-dead-letter.js';
export { deadLetterBaseKey, s3DeadLetter, s3DeadLetterOptionsSchema } from './s3-dead-letter.js';
export type {
  S3Event,
  S3EventHandlerOptions,
  S3EventHandlerResult,
  S3EventObject,
  S3EventRecord,
  S3EventRecordResult,
  SqsEvent,
  SqsRecord,
} from './s3-event-handler.js';
export {
  createS3EventHandler,
  decodeS3EventKey,
  s3EventHandlerOptionsSchema,
} from './s3-event-handler.js';
export type { S3WorkerClientConfig, S3WorkerInput } from './s3-worker.js';
export { S3_WORKER_FILE, workerClientConfig } from './s3-worker.js';
export type { WatchPrefixOptions, WatchSummary } from './watch-prefix.js';
export { watchPrefix, watchPrefixOptionsSchema } from './watch-prefix.js';
