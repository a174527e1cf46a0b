// KPIs: join, aggregate, mergeable state, finalize, decimal conversion.
export type {
  AggregateDailyKpisOptions,
  AggregateMetrics,
} from './aggregate/aggregate-daily-kpis.js';
export {
  AggregateDailyKpisOptionsSchema,
  aggregateDailyKpis,
  createAggregateMetrics,
} from './aggregate/aggregate-daily-kpis.js';
export { DEFAULT_HLL_PRECISION, HyperLogLog } from './aggregate/hll.js';
export type {
  DeserializeKpiStateOptions,
  KpiStateOptions,
  KpiStateStats,
  UniqueListenersMode,
} from './aggregate/kpi-state.js';
export {
  createKpiState,
  deserializeKpiState,
  KPI_STATE_FORMAT_VERSION,
  KpiState,
  KpiStateError,
  kpiStateDates,
  kpiStateStats,
  mergeKpiStateInto,
  mergeKpiStates,
  pickKpiDates,
  serializeKpiState,
  serializeKpiStateByDate,
} from './aggregate/kpi-state.js';
export {
  assertTimeZone,
  formatDay,
  isValidTimeZone,
  parseDay,
  ZoneClock,
} from './aggregate/zone.js';
export type { DeadLetterEntry, DeadLetterSink, RejectReason } from './dead-letter/dead-letter.js';
export type { FileDeadLetterOptions } from './dead-letter/dead-letter-file.js';
export { fileDeadLetter, fileDeadLetterOptionsSchema } from './dead-letter/dead-letter-file.js';
export type { MemoryDeadLetterSink } from './dead-letter/dead-letter-memory.js';
export { memoryDeadLetter } from './dead-letter/dead-letter-memory.js';
export type { PipelineErrorOptions } from './errors.js';
export { HeaderError, OptionsError, ParseError, PipelineError } from './errors.js';
export type { FinalizeKpisOptions, KpiItem, TopSong } from './finalize/finalize-kpis.js';
export { averageSeconds, finalizeKpis } from './finalize/finalize-kpis.js';
export type { DecimalKpiItem, DecimalTopSong, ToDecimalOptions } from './finalize/to-decimal.js';
export {
  kpiItemToDecimal,
  ToDecimalOptionsSchema,
  toDecimal,
  toDecimalString,
} from './finalize/to-decimal.js';
export type { JoinedListen, JoinMetrics, JoinSongsOptions } from './join/join-songs.js';
export { createJoinMetrics, JoinSongsOptionsSchema, joinSongs } from './join/join-songs.js';
export type { SongsTableStats } from './join/songs-table.js';
export {
  buildSongsTable,
  SongsTable,
  SongsTableBuilder,
  songsTableFromRows,
} from './join/songs-table.js';
export type { UsersTableStats } from './join/users-table.js';
export { buildUsersTable, UsersTable, usersTableFromIds } from './join/users-table.js';
export type { RunSummary, SourceCounts, StageMetrics } from './metrics.js';
export { createMetrics, RunMetrics } from './metrics.js';
// Parse, validate, dead letter, metrics, pipeline (issue 2).
export { checkHeader } from './parse/check-header.js';
export type { DecompressOptions } from './parse/decompress.js';
export { decompress, decompressOptionsSchema, isGzip } from './parse/decompress.js';
export type { ByteChunk, ByteSource } from './parse/internal/bytes.js';
export type { HeaderCallback } from './parse/internal/parse-options.js';
export { DEFAULT_BATCH_SIZE, DEFAULT_MAX_ROW_BYTES } from './parse/internal/parse-options.js';
export type { ByteParser, ParseCsvOptions } from './parse/parse-csv.js';
export { parseCsv, parseCsvOptionsSchema } from './parse/parse-csv.js';
export type { FileFormat, ParseFileOptions } from './parse/parse-file.js';
export { detectFormat, parseFile, parseFileOptionsSchema } from './parse/parse-file.js';
export type { ParseJsonArrayOptions } from './parse/parse-json-array.js';
export { parseJsonArray, parseJsonArrayOptionsSchema } from './parse/parse-json-array.js';
export type { ParseNdjsonOptions } from './parse/parse-ndjson.js';
export { parseNdjson, parseNdjsonOptionsSchema } from './parse/parse-ndjson.js';
export type { UnprocessableFile } from './parse/unprocessable-file.js';
export { unprocessableFile } from './parse/unprocessable-file.js';
// End of issue-2 exports.
// Composition: one stream object to state; reference data to lookup tables.
export type {
  AggregateStreamFileOptions,
  StreamFileResult,
} from './pipeline/aggregate-stream-file.js';
export {
  aggregateStreamFile,
  aggregateStreamFileOptionsSchema,
} from './pipeline/aggregate-stream-file.js';
export type {
  LoadReferenceOptions,
  ReferenceFile,
  ReferenceFilesOptions,
} from './pipeline/load-reference.js';
export {
  loadSongsTable,
  loadUsersTable,
  readSongRows,
  readUserRows,
  songsTableFromFiles,
  usersTableFromFiles,
} from './pipeline/load-reference.js';
export type {
  ChunkStage,
  PipelineContext,
  PipelineSource,
  RunOptions,
  Sink,
} from './pipeline/pipeline.js';
export {
  countRows,
  PipelineBuilder,
  pipeline,
  RunnablePipeline,
  runOptionsSchema,
} from './pipeline/pipeline.js';
// Worker-thread pool: stream objects to partial states on every core.
export type {
  AggregatePool,
  AggregatePoolOptions,
  DatePartial,
  PoolAggregateOptions,
  PooledAggregate,
  PooledObject,
  PooledPartials,
  PoolResourceLimits,
} from './pool/aggregate-pool.js';
export {
  aggregatePoolOptionsSchema,
  createAggregatePool,
  defaultPoolResourceLimits,
  siblingModule,
} from './pool/aggregate-pool.js';
export type { AggregateWorkerTask, OpenBytes } from './pool/aggregate-worker-task.js';
export { createAggregateWorkerTask } from './pool/aggregate-worker-task.js';
export type {
  Batch,
  Dataset,
  RawFields,
  RawRow,
  RowProblem,
  SongRow,
  SourceRef,
  Stage,
  StageContext,
  StreamRow,
  UserRow,
  ValidRow,
} from './types.js';
export type { RowCheck } from './validate/row-check.js';
export type { DatasetRow, ListenTimeWindowInput } from './validate/schemas.js';
export {
  LISTEN_TIME_OUT_OF_RANGE,
  listenTimeSchema,
  listenTimeWindowSchema,
  nonEmptyTrimmedSchema,
  nonNegativeIntSchema,
  positiveIdSchema,
  REQUIRED_FIELDS,
  rowSchemas,
  songRowSchema,
  streamRowSchema,
  streamRowSchemaFor,
  timestampSchema,
  userRowSchema,
} from './validate/schemas.js';
export type { ListenTimeWindow, TimestampParts } from './validate/time.js';
export {
  DEFAULT_LISTEN_TIME_FROM_MS,
  isValidTimestamp,
  LISTEN_TIME_LIMITS,
  listenTimeCheckMs,
  listenTimeInWindow,
  parseTimestampParts,
} from './validate/time.js';
export type { ValidateRowsOptions } from './validate/validate-rows.js';
export { validateRows, validateRowsOptionsSchema } from './validate/validate-rows.js';
