/**
 * Allocation-free readers of the common, already-clean forms of the fields
 * (ids, trimmed strings, timestamps) used by the row acceptors. Each accepts
 * a subset of what the zod schemas accept and gives up (-1 / false / NaN) on
 * anything else, so the caller asks the schema instead. Property tests
 * check the subset claim.
 */

import { daysFromCivil, hasTimestampPunctuation } from '../time.js';

const DAY_MS = 86_400_000;
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `user_id` written as 1–15 ASCII digits (no spaces) and above 0: its value.
 * -1 otherwise (maybe still valid: padded, 16+ digits — ask the schema).
 */
export function fastUserId(s: string): number {
  const n = fastNonNegative(s);
  return n > 0 ? n : -1;
}

/** True when `s` is non-empty and `trim()` would not change it (printable ASCII at both ends). */
export function isTrimmedNonEmpty(s: string): boolean {
  const len = s.length;
  if (len === 0) return false;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(len - 1);
  return a > 32 && a < 127 && b > 32 && b < 127;
}

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * What {@link fastListenAt} read, when it returned true: `instant[0]` (see
 * there) and `zoned[0]`, 1 when the timestamp had a zone, else 0. Typed
 * arrays rather than a returned number: a double returned by a call that is
 * not inlined is boxed, one heap number per row; and `zoned` stays an
 * integer, so the column it is copied to keeps small-integer elements.
 */
export const listenRead = { instant: new Float64Array(1), zoned: new Int32Array(1) };

/** The real calendar date `((year * 16 + month) * 32 + day)` last read, and its day number. */
const lastDate = new Int32Array([-1, 0]);

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
 * True for a `listen_time` in the strict form
 * `YYYY-MM-DD[ Tt]HH:MM:SS[.fff][Z|z|±HH:MM|±HHMM|±HH]` with no surrounding
 * space and a real calendar date, with {@link listenRead} set to its UTC
 * instant when it has a zone, else its wall-clock time read as UTC. False
 * for anything else (callers ask the strict parser, `parseTimestampParts`).
 */
export function fastListenAt(s: string): boolean {
  const len = s.length;
  if (len < 19) return false;
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const second = d2(s, 17);
  if (
    (y1 | y2 | hour | minute | second) < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    !hasTimestampPunctuation(s)
  ) {
    return false;
  }
  // Rows of a file fall on few dates: the last date's day number is kept.
  const date = ((y1 * 100 + y2) * 16 + month) * 32 + day;
  let days: number;
  if (date === lastDate[0]) days = lastDate[1]!;
  else {
    const year = y1 * 100 + y2;
    if (day > DAYS_IN_MONTH[month]!) {
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      if (!(month === 2 && day === 29 && leap)) return false;
    }
    days = daysFromCivil(year, month, day);
    lastDate[0] = date;
    lastDate[1] = days;
  }
  let i = 19;
  let millis = 0;
  if (i < len && s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    let scale = 100;
    while (i < len) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      millis += c * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return false;
    millis = Math.floor(millis);
  }
  const wall = days * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
  if (i === len) {
    listenRead.instant[0] = wall;
    listenRead.zoned[0] = 0;
    return true;
  }
  const c = s.charCodeAt(i);
  if ((c === 90 || c === 122) && i === len - 1) {
    listenRead.instant[0] = wall;
    listenRead.zoned[0] = 1;
    return true;
  }
  if (c !== 43 && c !== 45) return false;
  const rest = len - i - 1;
  const oh = d2(s, i + 1);
  let om: number;
  if (rest === 5 && s.charCodeAt(i + 3) === 58) om = d2(s, i + 4);
  else if (rest === 4) om = d2(s, i + 3);
  else if (rest === 2) om = 0;
  else return false;
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
  const offset = (oh * 60 + om) * 60_000;
  listenRead.instant[0] = c === 45 ? wall + offset : wall - offset;
  listenRead.zoned[0] = 1;
  return true;
}
