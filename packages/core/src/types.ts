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

/** Context handed to every function stage by the pipeline. */
export interface StageContext {
  readonly signal: AbortSignal;
}

/**
 * A function stage: the contract of `node:stream/promises` `pipeline` for
 * async-generator stages. Operates on batches.
 */
export type Stage<In, Out> = (
  source: AsyncIterable<Batch<In>>,
  context: StageContext,
) => AsyncIterable<Batch<Out>>;

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
