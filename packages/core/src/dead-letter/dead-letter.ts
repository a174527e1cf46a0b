import { z } from 'zod';
import type { RawFields, SourceRef } from '../types.js';

/** One machine-readable reason a row was rejected. */
export interface RejectReason {
  /** Stable code, e.g. `invalid_user_id`, `unknown_track`, `ragged_row`. */
  readonly reason: string;
  /** The field concerned, when there is one. */
  readonly field?: string;
  /** Human-readable detail. */
  readonly message: string;
}

/** A rejected row as written to a dead-letter sink (SPEC section 3). */
export interface DeadLetterEntry {
  readonly source: SourceRef;
  /** 1-based line number, header = line 1. */
  readonly line: number;
  /** The raw row as parsed. */
  readonly raw: RawFields;
  readonly reasons: readonly RejectReason[];
}

/**
 * Where rejected rows go. Implementations: in-memory, local NDJSON file
 * (core), S3 (s3-source). `write` may be called many times; `close` once.
 */
export interface DeadLetterSink {
  write(entries: readonly DeadLetterEntry[]): Promise<void>;
  /** Flush and release resources. Called once, after the last write. */
  close(): Promise<void>;
}

/** True when `value` has the {@link DeadLetterSink} methods. */
export function isDeadLetterSink(value: unknown): value is DeadLetterSink {
  const v = value as Partial<DeadLetterSink> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.write === 'function' &&
    typeof v.close === 'function'
  );
}

/** The option schema of a dead-letter sink, shared by every factory that takes one. */
export const deadLetterSinkSchema = z.custom<DeadLetterSink>(isDeadLetterSink, {
  message: 'Expected a DeadLetterSink `{ write(entries), close() }`',
});
