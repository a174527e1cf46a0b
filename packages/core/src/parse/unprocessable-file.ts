/**
 * Which errors mean a file can never be processed as it is (so retrying is
 * pointless and it belongs in quarantine), as opposed to a failure a later
 * run may get past (a network error, throttling, a timeout…). A file is
 * read pinned to one version (key + ETag), so what its bytes say — a
 * missing column, broken gzip, malformed JSON — is as permanent as they are;
 * a rewritten file is a new version, read afresh.
 */
import { HeaderError, ParseError, PipelineError } from '../errors.js';
import type { Dataset } from '../types.js';
import { REQUIRED_FIELDS } from '../validate/schemas.js';

/** Why a file is unprocessable: a short code, the message, and the missing required columns. */
export interface UnprocessableFile {
  /**
   * `MISSING_COLUMNS` (header lacks required columns), `EMPTY_FILE` (no
   * bytes, or no header line), `INVALID_DATE` (a KPI date that is not
   * `YYYY-MM-DD`) or the `ParseError` code of a format error
   * (`GZIP_CORRUPT`, `JSON_MALFORMED`, `LINE_TOO_LONG`, `TOO_MANY_COLUMNS`…).
   */
  readonly code: string;
  readonly message: string;
  /** Required columns missing from the header; every required column for an empty file. */
  readonly missing: readonly string[];
}

/**
 * The reason `error` (thrown while reading a file) makes that file
 * unprocessable, or `undefined` when a retry could succeed. Empty files
 * (0 bytes, or a BOM only), headers without the required columns
 * (whitespace-only CSV files included), every other `ParseError` (the
 * file's format) and `INVALID_DATE` qualify.
 *
 * @param dataset the file's dataset: its required columns are reported as missing for an empty file
 */
export function unprocessableFile(
  error: unknown,
  dataset?: Dataset,
): UnprocessableFile | undefined {
  if (error instanceof HeaderError) {
    return { code: 'MISSING_COLUMNS', message: error.message, missing: error.missing };
  }
  if (error instanceof PipelineError && error.code === 'EMPTY_FILE') {
    return {
      code: 'EMPTY_FILE',
      message: error.message,
      missing: dataset === undefined ? [] : REQUIRED_FIELDS[dataset],
    };
  }
  if (
    error instanceof ParseError ||
    (error instanceof PipelineError && error.code === 'INVALID_DATE')
  ) {
    return { code: error.code, message: error.message, missing: [] };
  }
  return undefined;
}
