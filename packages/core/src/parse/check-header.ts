import { HeaderError } from '../errors.js';
import type { Dataset, SourceRef } from '../types.js';
import { REQUIRED_FIELDS } from '../validate/schemas.js';

/**
 * Throws a {@link HeaderError} naming every required column of `dataset`
 * that `header` lacks. Extra columns are allowed. Parsers call it (through
 * their `onHeader` option) before any row flows, so a bad file fails whole.
 * For JSON the header is the keys of the first record.
 */
export function checkHeader(dataset: Dataset, header: readonly string[], source?: SourceRef): void {
  const present = new Set(header);
  const missing = REQUIRED_FIELDS[dataset].filter((field) => !present.has(field));
  if (missing.length === 0) return;
  const where = source === undefined ? '' : `${source.id}: `;
  throw new HeaderError(
    missing,
    `${where}header of a ${dataset} file is missing required column(s): ${missing.join(', ')}`,
    source === undefined ? { line: 1 } : { source, line: 1 },
  );
}
