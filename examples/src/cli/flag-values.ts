/**
 * Checks and conversions of flag values; each failure is a
 * {@link UsageError} naming the flag and what was expected.
 */
import { isValidTimeZone } from '@streamkpi/core';
import { UsageError } from './errors.js';

/** Values as `node:util` `parseArgs` returns them. */
export type Values = Record<string, string | boolean | undefined>;

/** The string value of a required flag. */
export function required(values: Values, flag: string, command: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') {
    throw new UsageError(`kpis ${command}: missing required flag --${flag}`);
  }
  return v;
}

/** The string value of an optional flag; an empty value is refused. */
export function optional(values: Values, flag: string): string | undefined {
  const v = values[flag];
  if (v === '') throw new UsageError(`--${flag} must not be empty`);
  return typeof v === 'string' ? v : undefined;
}

/** An integer flag from `min` to `max` (`_` separators allowed), or `fallback`. */
export function integer(
  values: Values,
  flag: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = values[flag];
  if (typeof v !== 'string') return fallback;
  const text = v.replaceAll('_', '');
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Expected --${flag} to be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' and up' : ` to ${max}`}, got "${v}"`,
    );
  }
  return n;
}

/** `--unique-listeners`: `exact` (default) or `hll`. */
export function uniqueMode(values: Values): 'exact' | 'hll' {
  const v = values['unique-listeners'];
  if (v === undefined || v === 'exact' || v === 'hll') return v ?? 'exact';
  throw new UsageError(`Expected --unique-listeners to be exact or hll, got "${String(v)}"`);
}

/** `--threads` (0–256) when given. */
export function threadsOf(values: Values): { threads?: number } {
  return values.threads === undefined ? {} : { threads: integer(values, 'threads', 0, 0, 256) };
}

/** A number flag from 0 to 1, or `fallback`. */
export function rate(values: Values, flag: string, fallback: number): number {
  const v = values[flag];
  if (typeof v !== 'string') return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`Expected --${flag} to be a number from 0 to 1, got "${v}"`);
  }
  return n;
}

/** An IANA time zone flag (default UTC). */
export function zone(values: Values, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string') return 'UTC';
  if (!isValidTimeZone(v)) {
    throw new UsageError(
      `Expected --${flag} to be an IANA time zone such as UTC or Europe/Paris, got "${v}"`,
    );
  }
  return v;
}

/** `incoming` → `incoming/`: the runner's prefixes are folders. */
export function folder(values: Values, flag: string, fallback: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') return fallback;
  return v.endsWith('/') ? v : `${v}/`;
}

/** An http(s) URL flag. */
export function url(values: Values, flag: string): string | undefined {
  const v = optional(values, flag);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new UsageError(`Expected --${flag} to be an http(s) URL, got "${v}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`Expected --${flag} to be an http(s) URL, got "${v}"`);
  }
  return v;
}

/** An S3 bucket name given as `--flag`. */
export function bucketName(value: string, flag: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new UsageError(
      `Expected --${flag} to be an S3 bucket name: 3–63 characters of a-z, 0-9, '.' and '-', got "${value}"`,
    );
  }
  return value;
}

/** A DynamoDB table name given as `--flag`. */
export function tableName(value: string, flag = 'table'): string {
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(value)) {
    throw new UsageError(
      `Expected --${flag} to be a DynamoDB table name: 3–255 characters of a-z, A-Z, 0-9, '_', '-' and '.', got "${value}"`,
    );
  }
  return value;
}

/** A TCP port; 0 picks a free one. */
export function port(values: Values, flag: string): number {
  return integer(values, flag, 0, 0, 65535);
}
