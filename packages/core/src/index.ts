// The public API of @streamkpi/core: the stages, the pipeline builder that
// composes them, the data contract between them, and what runners need.

// Composition.
export type { AggregateDailyKpisOptions } from './aggregate/aggregate-daily-kpis.js';
export { aggregateDailyKpis } from './aggregate/aggregate-daily-kpis.js';
export { serializeKpiState, serializeKpiStateByDate } from './aggregate/kpi-codec.js';
export { deserializeKpiState } from './aggregate/kpi-decode.js';
export {
  kpiStateDates,
  mergeKpiStateInto,
  mergeKpiStates,
  pickKpiDates,
} from './aggregate/kpi-merge.js';
// KPI state: mergeable, serializable.
export { KpiState } from './aggregate/kpi-state.js';
export { isValidTimeZone } from './aggregate/zone.js';
// Dead letters.
export type { DeadLetterEntry, DeadLetterSink, RejectReason } from './dead-letter/dead-letter.js';
export { fileDeadLetter } from './dead-letter/dead-letter-file.js';
export { memoryDeadLetter } from './dead-letter/dead-letter-memory.js';
// Errors and options.
export type { PipelineErrorOptions } from './errors.js';
export { HeaderError, OptionsError, ParseError, PipelineError } from './errors.js';
export { finalizeKpis } from './finalize/finalize-kpis.js';
export type { KpiItem } from './finalize/kpi-item.js';
export { toDecimal, toDecimalString } from './finalize/to-decimal.js';
export { parseOptions } from './internal/options.js';
export type { JoinedBatch, JoinMetrics, JoinSongsOptions } from './join/join-songs.js';
export { joinSongs } from './join/join-songs.js';
export { buildSongsTable, buildUsersTable } from './join/reference-tables.js';
// Reference tables.
export type { SongsTableStats } from './join/songs-table.js';
export { SongsTable } from './join/songs-table.js';
export { songsTableFromRows } from './join/songs-table-builder.js';
export type { UsersTableStats } from './join/users-table.js';
export { UsersTable } from './join/users-table.js';
export type { RunSummary, SourceCounts, StageMetrics } from './metrics.js';
export { RunMetrics } from './metrics.js';
export type { ByteSource } from './parse/internal/bytes.js';
// Stages: parse.
export type { ParseCsvOptions } from './parse/parse-csv.js';
export { parseCsv } from './parse/parse-csv.js';
export type { ParseFileOptions } from './parse/parse-file.js';
export { detectFormat, parseFile } from './parse/parse-file.js';
export { parseJsonArray } from './parse/parse-json-array.js';
export { parseNdjson } from './parse/parse-ndjson.js';
// Runners' building blocks.
export { unprocessableFile } from './parse/unprocessable-file.js';
export type {
  AggregateStreamFileOptions,
  StreamFileResult,
} from './pipeline/aggregate-stream-file.js';
export { aggregateStreamFile } from './pipeline/aggregate-stream-file.js';
export type { ReferenceFile, ReferenceFilesOptions } from './pipeline/load-reference.js';
export {
  loadSongsTable,
  loadUsersTable,
  songsTableFromFiles,
  usersTableFromFiles,
} from './pipeline/load-reference.js';
export type { ChunkStage, PipelineResult, Sink } from './pipeline/pipeline.js';
export { pipeline, toStreamStage } from './pipeline/pipeline.js';
export type { ReferenceTablesBuild } from './pipeline/reference-tables-cache.js';
export { cachedReferenceTables } from './pipeline/reference-tables-cache.js';
// Worker-thread pool: stream objects to partial states on every core.
export type { AggregatePool, DatePartial } from './pool/aggregate-pool.js';
export { createAggregatePool, siblingModule } from './pool/aggregate-pool.js';
export type { AggregateWorkerTask } from './pool/aggregate-worker-task.js';
export { createAggregateWorkerTask } from './pool/aggregate-worker-task.js';
// The data contract between stages (see ARCHITECTURE.md).
export type {
  Batch,
  BatchSink,
  BatchStage,
  RowBatch,
  RowProblem,
  SongRow,
  SourceRef,
  StageContext,
  StreamBatch,
  StreamRow,
  UserRow,
  ValidBatch,
} from './types.js';
export { listenTimeWindowSchema, songRowSchema, streamRowSchema } from './validate/schemas.js';
export type { ListenTimeWindow } from './validate/time.js';
export type { ValidateRowsOptions } from './validate/validate-rows.js';
export { validateRows } from './validate/validate-rows.js';
