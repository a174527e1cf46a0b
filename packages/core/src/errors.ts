import type { SourceRef } from './types.js';

/** Options common to every library error. */
export interface PipelineErrorOptions {
  readonly cause?: unknown;
  readonly source?: SourceRef;
  readonly line?: number;
}

/**
 * Base class of every error this library throws. `code` is stable and
 * machine-readable; `source` and `line` say where, when known.
 */
export class PipelineError extends Error {
  /** Stable, machine-readable error code, e.g. `CSV_UNTERMINATED_QUOTE`. */
  readonly code: string;
  /** Source object the error concerns, when known. */
  readonly source: SourceRef | undefined;
  /** 1-based line number in the source, when known. */
  readonly line: number | undefined;

  constructor(code: string, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.source = options.source;
    this.line = options.line;
  }
}

/** A file could not be parsed (malformed CSV/JSON, truncated gzip, runaway line…). */
export class ParseError extends PipelineError {}

/** A file's header lacks required columns; the whole file is rejected. */
export class HeaderError extends PipelineError {
  /** The required columns that are missing. */
  readonly missing: readonly string[];

  constructor(missing: readonly string[], message: string, options: PipelineErrorOptions = {}) {
    super('MISSING_COLUMNS', message, options);
    this.missing = missing;
  }
}

/** Invalid options passed to a factory; thrown before any I/O. */
export class OptionsError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super('INVALID_OPTIONS', message, options);
  }
}
