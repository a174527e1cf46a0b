import { ZoneClock } from '../aggregate/zone.js';
import type { DeadLetterEntry, RejectReason } from '../dead-letter/dead-letter.js';
import { flatFields } from '../join/internal/flat-string.js';
import type { Dataset, RawFields, RawRow, SongRow, StreamRow, UserRow } from '../types.js';
import { fastListenUtc, fastUserId, isTrimmedNonEmpty } from './internal/stream-row-fast.js';
import { type DatasetRow, rowSchemas, streamRowSchemaFor } from './schemas.js';
import { type ListenTimeWindow, listenTimeInWindow } from './time.js';

/** Outcome of validating one row's fields. */
export type RowCheck<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reasons: readonly RejectReason[] };

/**
 * Validates one row's fields against the dataset's zod schema and turns
 * zod issues into one machine-readable reason per failing field:
 * `missing_field` when absent, else `invalid_<field>`. Kept behind this one
 * function so a hand-written fast path can replace it without touching the
 * stage.
 */
export function rowValidator<D extends Dataset>(
  dataset: D,
  listenTimeWindow?: ListenTimeWindow,
): (fields: RawFields) => RowCheck<DatasetRow[D]> {
  const streams = dataset === 'streams' && listenTimeWindow !== undefined;
  const schema = streams ? streamRowSchemaFor(listenTimeWindow) : rowSchemas[dataset];
  const fast = (streams ? fastStreams(listenTimeWindow) : FAST[dataset]) as (
    fields: RawFields,
  ) => DatasetRow[D] | undefined;
  return (fields) => {
    const value = fast(fields);
    if (value !== undefined) return { ok: true, value };
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

/**
 * What validation makes of one parsed row: its value, or its dead-letter
 * entry (the parser's problem, else one reason per failing field; the raw
 * fields as flat strings). The one rule shared by `validateRows` and the
 * fused CSV paths.
 */
export function checkRawRow<T>(
  row: RawRow,
  validate: (fields: RawFields) => RowCheck<T>,
):
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly entry: DeadLetterEntry } {
  if (row.problem !== undefined) {
    const reasons = [{ reason: row.problem.reason, message: row.problem.message }];
    return {
      ok: false,
      entry: { source: row.source, line: row.line, raw: flatFields(row.fields), reasons },
    };
  }
  const check = validate(row.fields);
  if (check.ok) return check;
  return {
    ok: false,
    entry: {
      source: row.source,
      line: row.line,
      raw: flatFields(row.fields),
      reasons: check.reasons,
    },
  };
}

const UTC = new ZoneClock('UTC');

/** 1–15 ASCII digits (no spaces): the value; -1 otherwise. */
export function fastNonNegative(s: string | undefined): number {
  if (typeof s !== 'string') return -1;
  const len = s.length;
  if (len === 0 || len > 15) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Hand-written acceptors of the plainly valid rows of each dataset: each
 * returns exactly the schema's output for the rows it accepts and
 * `undefined` for everything else (then zod decides, with its reasons).
 */
function fastStreams(window?: ListenTimeWindow): (fields: RawFields) => StreamRow | undefined {
  return (fields) => {
    const u = fields.user_id;
    const t = fields.track_id;
    const l = fields.listen_time;
    if (typeof u !== 'string' || typeof t !== 'string' || typeof l !== 'string') return undefined;
    const user_id = fastUserId(u);
    if (
      user_id < 0 ||
      !isTrimmedNonEmpty(t) ||
      !listenTimeInWindow(fastListenUtc(l, UTC), window)
    ) {
      return undefined;
    }
    return { user_id, track_id: t, listen_time: l };
  };
}

const FAST: { readonly [D in Dataset]: (fields: RawFields) => DatasetRow[D] | undefined } = {
  streams: fastStreams(),
  songs(fields): SongRow | undefined {
    const t = fields.track_id;
    const n = fields.track_name;
    const g = fields.track_genre;
    if (typeof t !== 'string' || typeof n !== 'string' || typeof g !== 'string') return undefined;
    const duration_ms = fastNonNegative(fields.duration_ms);
    if (duration_ms < 0 || !isTrimmedNonEmpty(t) || !isTrimmedNonEmpty(g)) return undefined;
    return { track_id: t, track_name: n.trim(), duration_ms, track_genre: g };
  },
  users(fields): UserRow | undefined {
    const u = fields.user_id;
    const user_id = typeof u === 'string' ? fastUserId(u) : -1;
    return user_id < 0 ? undefined : { user_id };
  },
};
