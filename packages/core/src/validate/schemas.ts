import { z } from 'zod';
import type { Dataset, SongRow, StreamRow, UserRow } from '../types.js';
import {
  DEFAULT_LISTEN_TIME_FROM_MS,
  isValidTimestamp,
  LISTEN_TIME_LIMITS,
  type ListenTimeWindow,
  listenTimeCheckMs,
  listenTimeInWindow,
} from './time.js';

const DIGITS = /^\d+$/;

/** A positive integer id given as digits (after trimming), at most `Number.MAX_SAFE_INTEGER`. */
export const positiveIdSchema = z
  .string()
  .trim()
  .regex(DIGITS, 'expected a positive integer (digits only)')
  .transform(Number)
  .refine((n) => n > 0, 'expected a positive integer, got 0')
  .refine(
    (n) => n <= Number.MAX_SAFE_INTEGER,
    'integer is above Number.MAX_SAFE_INTEGER and cannot be represented exactly',
  );

/** A non-negative integer given as digits (after trimming). */
export const nonNegativeIntSchema = z
  .string()
  .trim()
  .regex(DIGITS, 'expected a non-negative integer (digits only)')
  .transform(Number)
  .refine(
    (n) => n <= Number.MAX_SAFE_INTEGER,
    'integer is above Number.MAX_SAFE_INTEGER and cannot be represented exactly',
  );

/** A non-empty string after trimming. */
export const nonEmptyTrimmedSchema = z.string().trim().min(1, 'expected a non-empty value');

/** A real calendar timestamp (see `isValidTimestamp`), trimmed. */
export const timestampSchema = z
  .string()
  .trim()
  .refine(isValidTimestamp, 'expected a real calendar timestamp like 2024-06-25 17:43:13');

/** The reject reason of a real timestamp outside the accepted window. */
export const LISTEN_TIME_OUT_OF_RANGE = 'listen_time_out_of_range';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A `listen_time`: a real calendar timestamp inside `window` (default
 * 2000-01-01T00:00:00Z to one day after now; see `listenTimeInWindow`). Out
 * of the window, the zod issue carries `params.reason`
 * `listen_time_out_of_range`, which validation uses as the reject reason.
 *
 * A plain `check` pushing its issues, not `superRefine`: `superRefine`
 * attaches a new `addIssue` closure over the parse payload to it on every
 * call, and V8 then promotes the payload's value out of the young
 * generation — with a cell sliced from a decoded chunk, the whole chunk.
 */
export function listenTimeSchema(window?: ListenTimeWindow) {
  return z
    .string()
    .trim()
    .check((payload) => {
      const s = payload.value;
      const ms = listenTimeCheckMs(s);
      if (Number.isNaN(ms)) {
        payload.issues.push({
          code: 'custom',
          input: s,
          message: 'expected a real calendar timestamp like 2024-06-25 17:43:13',
        });
      } else if (!listenTimeInWindow(ms, window)) {
        const to = window?.toMs === undefined ? 'one day after now' : iso(window.toMs);
        payload.issues.push({
          code: 'custom',
          input: s,
          message: `${JSON.stringify(s)} is outside the accepted window ${iso(window?.fromMs ?? DEFAULT_LISTEN_TIME_FROM_MS)} … ${to}`,
          params: { reason: LISTEN_TIME_OUT_OF_RANGE },
        });
      }
    });
}

const windowEdgeSchema = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const ms =
    v instanceof Date
      ? v.getTime()
      : /^\d{4}-\d{2}-\d{2}$/.test(v)
        ? listenTimeCheckMs(`${v} 00:00:00Z`)
        : listenTimeCheckMs(v);
  if (Number.isNaN(ms) || ms < LISTEN_TIME_LIMITS.minMs || ms > LISTEN_TIME_LIMITS.maxMs) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a date (YYYY-MM-DD), a timestamp or a Date between 0000-01-02 and 9999-12-30, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/**
 * The `listenTimeWindow` option: `{ from?, to? }` as `YYYY-MM-DD` (UTC
 * midnight), a timestamp with offset, or a `Date`; `from` defaults to
 * 2000-01-01, `to` to one day after now.
 */
export const listenTimeWindowSchema = z
  .object({ from: windowEdgeSchema.optional(), to: windowEdgeSchema.optional() })
  .strict()
  .transform(
    (w): ListenTimeWindow => ({ fromMs: w.from ?? DEFAULT_LISTEN_TIME_FROM_MS, toMs: w.to }),
  )
  .refine((w) => w.toMs === undefined || w.fromMs <= w.toMs, 'expected `from` ≤ `to`');

/** Input of {@link listenTimeWindowSchema}. */
export type ListenTimeWindowInput = z.input<typeof listenTimeWindowSchema>;

/** The streams schema with a given `listen_time` window (see {@link listenTimeSchema}). */
export function streamRowSchemaFor(window?: ListenTimeWindow) {
  return z.object({
    user_id: positiveIdSchema,
    track_id: nonEmptyTrimmedSchema,
    listen_time: listenTimeSchema(window),
  }) satisfies z.ZodType<StreamRow>;
}

/**
 * A row of the `streams` dataset (SPEC section 3), `listen_time` in the
 * default window. Extra fields are dropped.
 */
export const streamRowSchema = streamRowSchemaFor();

/** A row of the `songs` dataset (SPEC section 3). `track_name` may be empty. */
export const songRowSchema = z.object({
  track_id: nonEmptyTrimmedSchema,
  track_name: z.string().trim(),
  duration_ms: nonNegativeIntSchema,
  track_genre: nonEmptyTrimmedSchema,
}) satisfies z.ZodType<SongRow>;

/** A row of the `users` dataset (SPEC section 3). */
export const userRowSchema = z.object({
  user_id: positiveIdSchema,
}) satisfies z.ZodType<UserRow>;

/** The validated value type of each dataset. */
export interface DatasetRow {
  streams: StreamRow;
  songs: SongRow;
  users: UserRow;
}

/** The zod schema of each dataset. */
export const rowSchemas = {
  streams: streamRowSchema,
  songs: songRowSchema,
  users: userRowSchema,
} as const satisfies { [D in Dataset]: z.ZodType<DatasetRow[D]> };

/** The columns a file of each dataset must have (SPEC section 2). */
export const REQUIRED_FIELDS: { readonly [D in Dataset]: readonly string[] } = {
  streams: ['user_id', 'track_id', 'listen_time'],
  songs: ['track_id', 'track_name', 'duration_ms', 'track_genre'],
  users: ['user_id'],
};
