import { z } from 'zod';
import type { Dataset, SongRow, StreamRow, UserRow } from '../types.js';
import { isValidTimestamp } from './time.js';

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

/** A row of the `streams` dataset (SPEC section 3). Extra fields are dropped. */
export const streamRowSchema = z.object({
  user_id: positiveIdSchema,
  track_id: nonEmptyTrimmedSchema,
  listen_time: timestampSchema,
}) satisfies z.ZodType<StreamRow>;

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
