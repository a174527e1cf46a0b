import type { RunMetrics } from './metrics.js';

/**
 * The record/batch contract shared by every stage. See ARCHITECTURE.md.
 *
 * Stages never pass one object per stream write: they pass {@link Batch}es
 * (plain arrays) so that per-row overhead stays off the hot path.
 */

/** A batch of records: the unit that flows between stages. */
export type Batch<T> = T[];

/** Where a record came from. One per source object, shared by all its records. */
export interface SourceRef {
  /** Stable identifier, e.g. `s3://bucket/key#etag` or a local file path. */
  readonly id: string;
  /** S3 bucket, when the source is an S3 object. */
  readonly bucket?: string;
  /** S3 key or local path. */
  readonly key: string;
  /** S3 ETag (quotes stripped), when known. */
  readonly etag?: string;
}

/** Field values of one parsed row, keyed by header name. */
export type RawFields = Record<string, string>;

/** One parsed, not yet validated row. */
export interface RawRow {
  /** Source object of the row. */
  readonly source: SourceRef;
  /**
   * 1-based line number of the row in its file: for CSV the header is line 1
   * and the first data row line 2 (a row with embedded newlines counts as the
   * line it starts on); for NDJSON the physical line; for a JSON array the
   * element index + 1.
   */
  readonly line: number;
  /** The row's fields as read (strings; JSON scalars are stringified). */
  readonly fields: RawFields;
  /** Parser-level problem with this row (e.g. `ragged_row`), if any. */
  readonly problem?: RowProblem;
}

/** A parser-level defect attached to a row; the validator dead-letters it. */
export interface RowProblem {
  readonly reason: string;
  readonly message: string;
}

/** A row that passed validation, with its typed value. */
export interface ValidRow<T> {
  readonly source: SourceRef;
  readonly line: number;
  readonly value: T;
}

/** Context handed to every stage by the pipeline: the run's signal and counters. */
export interface StageContext {
  readonly signal: AbortSignal;
  /** The run's counters (the pipeline always passes one). */
  readonly metrics?: RunMetrics;
}

/**
 * A function stage: the contract of `node:stream/promises` `pipeline` for
 * async-generator stages. Operates on batches.
 */
export type Stage<In, Out> = (
  source: AsyncIterable<Batch<In>>,
  context: StageContext,
) => AsyncIterable<Batch<Out>>;

/**
 * Parsed rows, column-shaped: the batch every parser emits and the
 * validator reads. Row `r` has the cells `cells[starts[r] .. starts[r + 1])`;
 * cell `i` of a row is the value of column `columns[i]` (a cell past the
 * columns is an extra cell of a ragged CSV row, `undefined` an absent JSON
 * field). No object per row: the CSV tokenizer's arrays are used as they are.
 */
export interface RowBatch {
  /** Source object of every row of the batch. */
  readonly source: SourceRef;
  /** Number of rows. */
  readonly length: number;
  /** Column names (CSV: the trimmed header; JSON: the keys seen in the batch). */
  readonly columns: readonly string[];
  /** Cell values of all rows, row after row. */
  readonly cells: readonly (string | undefined)[];
  /**
   * Index in `cells` of each row's first cell, plus the end of the last row
   * (batches cut from one parsed chunk share its `cells`).
   */
  readonly starts: readonly number[];
  /**
   * 1-based line of each row in its file: for CSV the header is line 1 and a
   * row counts as the line it starts on; NDJSON the physical line; a JSON
   * array the element index + 1.
   */
  readonly lines: readonly number[];
  /** Parser-level problem of a row (`ragged_row`, `malformed_json`…), by row index. */
  readonly problems: ReadonlyMap<number, RowProblem> | undefined;
}

/** Per-field columns of a batch of validated rows of type `T`. */
export type Columns<T> = { readonly [K in keyof T]: T[K][] };

/** Validated rows of one dataset, column-shaped: row `r` is `values.<field>[r]`. */
export interface ValidBatch<T> {
  readonly source: SourceRef;
  length: number;
  readonly lines: number[];
  readonly values: Columns<T>;
}

/**
 * Validated stream rows: the fields, and each `listen_time` already read
 * (validation parses it anyway) so that aggregation does not parse it again.
 */
export interface StreamBatch extends ValidBatch<StreamRow> {
  /** Per row: the UTC instant when `listen_time` has a zone, else its wall-clock time as if UTC. */
  readonly listenAt: number[];
  /** Per row: 1 when `listen_time` has a zone (`listenAt` is UTC), 0 when zone-less. */
  readonly listenZoned: number[];
}

/** What the pipeline opens once per run into its per-run part, `Step`. */
interface Opened<Step> {
  /** Label of the stage's counters in the run summary. */
  readonly name: string;
  open(context: StageContext): Step;
}

/**
 * A stage that works batch by batch, synchronously: `open` is called once
 * per run and returns the per-batch function. The pipeline runs consecutive
 * batch stages in one loop per batch; `toStreamStage` adapts one to a
 * `node:stream/promises` stage.
 */
export type BatchStage<In, Out> = Opened<BatchStep<In, Out>>;

/** The per-run part of a {@link BatchStage}. */
export interface BatchStep<In, Out> {
  /** One batch in, one batch out (maybe empty); no I/O. */
  process(batch: In): Out;
  /**
   * Writes what `process` set aside (dead letters). Called after every
   * batch; the pipeline awaits a returned promise before the next batch
   * (backpressure), and skips the await when nothing was pending.
   */
  flush?(): Promise<void> | undefined;
}

/** A sink that takes batch after batch and resolves to a value (a state, a table…). */
export type BatchSink<In, R> = Opened<BatchSinkStep<In, R>>;

/** The per-run part of a {@link BatchSink}: a step into nothing, and its result. */
export interface BatchSinkStep<In, R> extends BatchStep<In, void> {
  /** Called once the source is done; its value is what the pipeline resolves to. */
  finish(): R | Promise<R>;
}

/** The three input datasets of SPEC section 2. */
export type Dataset = 'streams' | 'songs' | 'users';

/** A validated row of the `streams` dataset (SPEC section 3). */
export interface StreamRow {
  readonly user_id: number;
  readonly track_id: string;
  /** As in the file, trimmed; validated to be a real calendar timestamp. */
  readonly listen_time: string;
}

/** A validated row of the `songs` dataset. */
export interface SongRow {
  readonly track_id: string;
  /** May be empty; then shown as the track_id. */
  readonly track_name: string;
  readonly duration_ms: number;
  readonly track_genre: string;
}

/** A validated row of the `users` dataset. */
export interface UserRow {
  readonly user_id: number;
}
