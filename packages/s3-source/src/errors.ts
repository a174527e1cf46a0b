import { PipelineError, type PipelineErrorOptions } from '@streamkpi/core';

/** Stable codes of {@link S3SourceError}. */
export type S3SourceErrorCode =
  /** The object's ETag changed while it was being read, archived or rejected. */
  | 'OBJECT_CHANGED'
  /** A body kept failing mid-stream; the resume budget (`maxResumes`) is spent. */
  | 'RESUME_EXHAUSTED'
  /** The bytes received do not add up to the object's Content-Length. */
  | 'LENGTH_MISMATCH'
  /** Neither the source object nor its archived/rejected copy exists. */
  | 'SOURCE_MISSING'
  /** One or more records of a Lambda event failed. */
  | 'EVENT_FAILED'
  /** A Lambda event had a shape this handler does not understand. */
  | 'INVALID_EVENT'
  /** A key with a `.`/`..` segment or a control character was about to be built into another key. */
  | 'UNSAFE_KEY';

/** Options of {@link S3SourceError}. */
export interface S3SourceErrorOptions extends PipelineErrorOptions {
  readonly bucket?: string;
  readonly key?: string;
}

/**
 * An S3 operation of this package failed in a way the caller must handle.
 * `bucket` and `key` name the object concerned, when there is one.
 */
export class S3SourceError extends PipelineError {
  declare readonly code: S3SourceErrorCode;
  /** Bucket of the object concerned. */
  readonly bucket: string | undefined;
  /** Key of the object concerned. */
  readonly key: string | undefined;

  constructor(code: S3SourceErrorCode, message: string, options: S3SourceErrorOptions = {}) {
    super(code, message, options);
    this.bucket = options.bucket;
    this.key = options.key;
  }
}
