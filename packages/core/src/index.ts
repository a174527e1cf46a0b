export type { DeadLetterEntry, DeadLetterSink, RejectReason } from './dead-letter.js';
export type { PipelineErrorOptions } from './errors.js';
export { HeaderError, OptionsError, ParseError, PipelineError } from './errors.js';
export type { TimestampParts } from './time.js';
export { isValidTimestamp, parseTimestampParts } from './time.js';
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
