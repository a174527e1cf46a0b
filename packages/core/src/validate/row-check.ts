import type { DeadLetterEntry, RejectReason } from '../dead-letter/dead-letter.js';
import { flatFields } from '../internal/flat-string.js';
import type { Dataset, RawFields, SourceRef } from '../types.js';
import { type DatasetRow, rowSchemas, streamRowSchemaFor } from './schemas.js';
import type { ListenTimeWindow } from './time.js';

/** Outcome of validating one row's fields. */
export type RowCheck<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reasons: readonly RejectReason[] };

/**
 * Validates one row's fields against the dataset's zod schema and turns
 * zod issues into one machine-readable reason per failing field:
 * `missing_field` when absent, else `invalid_<field>`. The row acceptors
 * (row-acceptors.ts) ask it for every row their fast path does not take.
 */
export function rowValidator<D extends Dataset>(
  dataset: D,
  listenTimeWindow?: ListenTimeWindow,
): (fields: RawFields) => RowCheck<DatasetRow[D]> {
  const schema =
    dataset === 'streams' && listenTimeWindow !== undefined
      ? streamRowSchemaFor(listenTimeWindow)
      : rowSchemas[dataset];
  return (fields) => {
    const result = schema.safeParse(fields);
    if (result.success) return { ok: true, value: result.data as DatasetRow[D] };
    const reasons: RejectReason[] = [];
    const seen = new Set<string>();
    for (const issue of result.error.issues) {
      const field = String(issue.path[0] ?? '');
      if (seen.has(field)) continue;
      seen.add(field);
      const missing = fields[field] === undefined;
      const code = issue.code === 'custom' ? issue.params?.reason : undefined;
      reasons.push({
        reason: missing ? 'missing_field' : typeof code === 'string' ? code : `invalid_${field}`,
        field,
        message: missing ? `${field} is missing` : `${field}: ${issue.message}`,
      });
    }
    return { ok: false, reasons };
  };
}

/** The dead-letter entry of a row: its source, line, raw fields (flat strings) and reasons. */
export function rejectEntry(
  source: SourceRef,
  line: number,
  fields: RawFields,
  reasons: readonly RejectReason[],
): DeadLetterEntry {
  return { source, line, raw: flatFields(fields), reasons };
}
