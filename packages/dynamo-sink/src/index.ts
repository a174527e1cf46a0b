export { RequestTimeoutError } from '@streamkpi/s3-source';
export type { BatchWriter, BatchWriterOptions, WriteCallOptions } from './batch-writer.js';
export { batchWriterOptionsSchema, createBatchWriter } from './batch-writer.js';
// Exactly-once protocol and the runner.
export type {
  CommitDateOptions,
  CommitDateResult,
  MergedStates,
  PendingPartial,
  VersionedKpiItem,
} from './commit-date.js';
export { commitDate, MERGE_CHUNK } from './commit-date.js';
export type { EnsureKpiTableOptions, EnsureKpiTableResult } from './ensure-kpi-table.js';
export {
  ensureKpiTable,
  ensureKpiTableOptionsSchema,
  ensureStateTable,
} from './ensure-kpi-table.js';
export type { BatchWriteErrorCode, BatchWriteMetrics, KpiKey } from './errors.js';
export { BatchWriteError, KpiItemError, TableSchemaError } from './errors.js';
export type { DynamoItem, IntegerValue, KpiItem, StoredKpiItem, TopSong } from './kpi-item.js';
export { keyString, kpiKeyOf, toDynamoItem } from './kpi-item.js';
export type {
  ListedStateObject,
  ObjectManifest,
  PartialStore,
  PartialStoreOptions,
  StoredPartial,
} from './partial-store.js';
export { createPartialStore, partialStoreOptionsSchema } from './partial-store.js';
export type {
  CommittedDate,
  PendingObject,
  PipelineStatus,
  PipelineStatusOptions,
  QuarantinedFile,
} from './pipeline-status.js';
export { pipelineStatusOptionsSchema, readPipelineStatus } from './pipeline-status.js';
export type { PruneStateOptions, PruneStateResult } from './prune-state.js';
export { pruneState, pruneStateOptionsSchema } from './prune-state.js';
export type {
  PutIfNewerOutcome,
  PutItemIfNewerOptions,
  PutItemsIfNewerOptions,
  PutItemsIfNewerResult,
} from './put-item-if-newer.js';
export {
  putItemIfNewer,
  putItemIfNewerOptionsSchema,
  putItemsIfNewer,
  putItemsIfNewerOptionsSchema,
} from './put-item-if-newer.js';
export type { ReadKpiItemsOptions } from './read-kpi-items.js';
export { readKpiItems } from './read-kpi-items.js';
export type {
  CachedReference,
  ReferenceCache,
  ReferenceCacheEntry,
} from './reference-cache.js';
export { createReferenceCache } from './reference-cache.js';
export { RunTimeoutError } from './run/deadline.js';
export type { ObjectStep, RetryPolicy } from './run/object-failure.js';
export { isTransient, ObjectFailedError } from './run/object-failure.js';
export { RunStalledError, type StallReport } from './run/watchdog.js';
// Run history: one record per run in the state store.
export type { ListRunRecordsOptions, RunHistoryOptions } from './run-history.js';
export {
  listRunRecords,
  listRunRecordsOptionsSchema,
  runHistoryOptionsSchema,
  runRecordKey,
  writeRunRecord,
} from './run-history.js';
export type {
  LatencySummary,
  ObjectOutcome,
  ReferenceLoaded,
  RunKpisFailure,
  RunKpisOptions,
  RunKpisSummary,
  StreamTotals,
} from './run-kpis.js';
export { runKpis, runKpisOptionsSchema } from './run-kpis.js';
export type {
  RunFailure,
  RunFailureStep,
  RunRecord,
  RunRecordContext,
  RunRecordObjects,
} from './run-record.js';
export { failedRunRecordOf, RUN_RECORD_MAX_KEYS, runRecordOf } from './run-record.js';
export type { Snapshot, SnapshotHeader } from './snapshot.js';
export { decodeSnapshot } from './snapshot.js';
export type { DateHead, StateTable, StateTableOptions } from './state-table.js';
export {
  createStateTable,
  STATE_TABLE_TTL_ATTRIBUTE,
  stateTableOptionsSchema,
} from './state-table.js';
export type { WriteDynamoDbOptions } from './write-dynamodb.js';
export { writeDynamoDb, writeDynamoDbOptionsSchema } from './write-dynamodb.js';
