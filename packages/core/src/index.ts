// KPIs: join, aggregate, mergeable state, finalize, decimal conversion.
export type { AggregateDailyKpisOptions, AggregateMetrics } from './aggregate-daily-kpis.js';
export {
  AggregateDailyKpisOptionsSchema,
  aggregateDailyKpis,
  createAggregateMetrics,
} from './aggregate-daily-kpis.js';
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
} from './aggregate-pool.js';
export {
  aggregatePoolOptionsSchema,
  createAggregatePool,
  defaultPoolResourceLimits,
  siblingModule,
} from './aggregate-pool.js';
// End of issue-2 exports.
// Composition: one stream object to state; reference data to lookup tables.
export type { AggregateStreamFileOptions, StreamFileResult } from './aggregate-stream-file.js';
export { aggregateStreamFile, aggregateStreamFileOptionsSchema } from './aggregate-stream-file.js';
export type { AggregateWorkerTask, OpenBytes } from './aggregate-worker-task.js';
export { createAggregateWorkerTask } from './aggregate-worker-task.js';
// Parse, validate, dead letter, metrics, pipeline (issue 2).
export { checkHeader } from './check-header.js';
export type { DeadLetterEntry, DeadLetterSink, RejectReason } from './dead-letter.js';
export type { FileDeadLetterOptions } from './dead-letter-file.js';
export { fileDeadLetter, fileDeadLetterOptionsSchema } from './dead-letter-file.js';
export type { MemoryDeadLetterSink } from './dead-letter-memory.js';
export { memoryDeadLetter } from './dead-letter-memory.js';
export type { DecompressOptions } from './decompress.js';
export { decompress, decompressOptionsSchema, isGzip } from './decompress.js';
export type { PipelineErrorOptions } from './errors.js';
export { HeaderError, OptionsError, ParseError, PipelineError } from './errors.js';
export type { FinalizeKpisOptions, KpiItem, TopSong } from './finalize-kpis.js';
export { averageSeconds, finalizeKpis } from './finalize-kpis.js';
export { DEFAULT_HLL_PRECISION, HyperLogLog } from './hll.js';
export type { ByteChunk, ByteSource } from './internal/bytes.js';
export type { HeaderCallback } from './internal/parse-options.js';
export { DEFAULT_BATCH_SIZE, DEFAULT_MAX_ROW_BYTES } from './internal/parse-options.js';
export type { RowCheck } from './internal/row-validator.js';
export type { JoinedListen, JoinMetrics, JoinSongsOptions } from './join-songs.js';
export { createJoinMetrics, JoinSongsOptionsSchema, joinSongs } from './join-songs.js';
export type {
  DeserializeKpiStateOptions,
  KpiStateOptions,
  KpiStateStats,
  UniqueListenersMode,
} from './kpi-state.js';
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
} from './kpi-state.js';
export type {
  LoadReferenceOptions,
  ReferenceFile,
  ReferenceFilesOptions,
} from './load-reference.js';
export {
  loadSongsTable,
  loadUsersTable,
  readSongRows,
  readUserRows,
  songsTableFromFiles,
  usersTableFromFiles,
} from './load-reference.js';
export type { RunSummary, SourceCounts, StageMetrics } from './metrics.js';
export { createMetrics, RunMetrics } from './metrics.js';
export type { ByteParser, ParseCsvOptions } from './parse-csv.js';
export { parseCsv, parseCsvOptionsSchema } from './parse-csv.js';
export type { FileFormat, ParseFileOptions } from './parse-file.js';
export { detectFormat, parseFile, parseFileOptionsSchema } from './parse-file.js';
export type { ParseJsonArrayOptions } from './parse-json-array.js';
export { parseJsonArray, parseJsonArrayOptionsSchema } from './parse-json-array.js';
export type { ParseNdjsonOptions } from './parse-ndjson.js';
export { parseNdjson, parseNdjsonOptionsSchema } from './parse-ndjson.js';
export type {
  ChunkStage,
  PipelineContext,
  PipelineSource,
  RunOptions,
  Sink,
} from './pipeline.js';
export {
  countRows,
  PipelineBuilder,
  pipeline,
  RunnablePipeline,
  runOptionsSchema,
} from './pipeline.js';
export type { DatasetRow } from './schemas.js';
export {
  nonEmptyTrimmedSchema,
  nonNegativeIntSchema,
  positiveIdSchema,
  REQUIRED_FIELDS,
  rowSchemas,
  songRowSchema,
  streamRowSchema,
  timestampSchema,
  userRowSchema,
} from './schemas.js';
export type { SongsTableStats } from './songs-table.js';
export {
  buildSongsTable,
  SongsTable,
  SongsTableBuilder,
  songsTableFromRows,
} from './songs-table.js';
export type { TimestampParts } from './time.js';
export { isValidTimestamp, parseTimestampParts } from './time.js';
export type { DecimalKpiItem, DecimalTopSong, ToDecimalOptions } from './to-decimal.js';
export {
  kpiItemToDecimal,
  ToDecimalOptionsSchema,
  toDecimal,
  toDecimalString,
} from './to-decimal.js';
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
export type { UnprocessableFile } from './unprocessable-file.js';
export { unprocessableFile } from './unprocessable-file.js';
export type { UsersTableStats } from './users-table.js';
export { buildUsersTable, UsersTable, usersTableFromIds } from './users-table.js';
export type { ValidateRowsOptions } from './validate-rows.js';
export { validateRows, validateRowsOptionsSchema } from './validate-rows.js';
export { assertTimeZone, formatDay, isValidTimeZone, parseDay, ZoneClock } from './zone.js';
