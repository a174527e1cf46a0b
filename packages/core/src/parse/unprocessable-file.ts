/**
 * Which errors mean a file can never be processed as it is (so retrying is
 * pointless and it belongs in quarantine), as opposed to a failure a later
 * run may get past (a network error, a truncated gzip being rewritten…).
 */
import { HeaderError, PipelineError } from '../errors.js';
import type { Dataset } from '../types.js';
import { REQUIRED_FIELDS } from '../validate/schemas.js';

/** Why a file is unprocessable: a short code, the message, and the missing required columns. */
export interface UnprocessableFile {
  /** `MISSING_COLUMNS` (header lacks required columns) or `EMPTY_FILE` (no bytes, or no header line). */
  readonly code: 'MISSING_COLUMNS' | 'EMPTY_FILE';
  readonly message: string;
  /** Required columns missing from the header; every required column for an empty file. */
  readonly missing: readonly string[];
}

/**
 * The reason `error` (thrown while reading a file) makes that file
 * unprocessable, or `undefined` when a retry could succeed. Empty files
 * (0 bytes, or a BOM only) and headers without the required columns
 * (whitespace-only CSV files included) qualify.
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
  return undefined;
}
