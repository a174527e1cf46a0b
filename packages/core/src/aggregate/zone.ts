/**
 * Time-zone bucketing for the KPI `date` (SPEC section 4) without calling
 * `Intl` per row.
 *
 * A zone's UTC offset is looked up with `Intl.DateTimeFormat` once per
 * 15-minute UTC bucket and cached: every time-zone transition since 1970 in
 * the IANA database falls on a quarter hour, so the offset is constant within
 * a bucket. (Pre-1970 local-mean-time transitions may be off by minutes.)
 *
 * Zone-less wall-clock times are resolved like Temporal's
 * `disambiguation: 'compatible'` (and java.time): a time repeated when clocks
 * go back (overlap) takes the EARLIER instant (the offset before the change);
 * a time skipped when clocks go forward (gap) is shifted forward by the gap
 * length, e.g. 02:30 on a New York spring-forward day becomes 03:30 EDT.
 */
import { OptionsError } from '../errors.js';

const BUCKET_MS = 15 * 60 * 1000;
const DAY_MS = 86_400_000;

/** True when `timeZone` is an IANA zone name (or offset zone) that `Intl` accepts. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Throws {@link OptionsError} unless `timeZone` is valid; `name` is the option name. */
export function assertTimeZone(timeZone: string, name = 'timeZone'): void {
  if (typeof timeZone !== 'string' || timeZone === '' || !isValidTimeZone(timeZone)) {
    throw new OptionsError(
      `Expected \`${name}\` to be an IANA time zone such as "UTC" or "Europe/Paris", got ${JSON.stringify(timeZone)}`,
    );
  }
}

/** A time zone with cached offsets: instant ↔ wall clock ↔ calendar day. */
export class ZoneClock {
  /** The IANA zone name. */
  readonly timeZone: string;
  private readonly fixedOffsetMs: number | undefined;
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly offsets = new Map<number, number>();
  private readonly wallOffsets = new Map<number, number>();
  private lastBucket = Number.NaN;
  private lastOffset = 0;

  /** Throws {@link OptionsError} for an invalid zone. */
  constructor(timeZone: string) {
    assertTimeZone(timeZone);
    this.timeZone = timeZone;
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    if (resolved === 'UTC' || resolved === 'Etc/UTC' || resolved === 'Etc/GMT') {
      this.fixedOffsetMs = 0;
    } else {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    }
  }

  /** The zone's offset from UTC, in ms, at instant `utcMs`. */
  offsetAt(utcMs: number): number {
    if (this.fixedOffsetMs !== undefined) return this.fixedOffsetMs;
    const bucket = Math.floor(utcMs / BUCKET_MS);
    if (bucket === this.lastBucket) return this.lastOffset;
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = this.computeOffset(bucket * BUCKET_MS);
      this.offsets.set(bucket, offset);
    }
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  /** Days since 1970-01-01 of the local calendar date at instant `utcMs`. */
  dayOf(utcMs: number): number {
    return Math.floor((utcMs + this.offsetAt(utcMs)) / DAY_MS);
  }

  /**
   * The instant of a wall-clock time in this zone (`wallMs` = the wall clock
   * read as if it were UTC). DST gaps and overlaps: see the module comment.
   */
  wallToUtc(wallMs: number): number {
    if (this.fixedOffsetMs !== undefined) return wallMs - this.fixedOffsetMs;
    const bucket = Math.floor(wallMs / BUCKET_MS);
    let offset = this.wallOffsets.get(bucket);
    if (offset === undefined) {
      offset = this.resolveWall(bucket * BUCKET_MS);
      this.wallOffsets.set(bucket, offset);
    }
    return wallMs - offset;
  }

  private resolveWall(wallMs: number): number {
    const before = this.offsetAt(wallMs - DAY_MS);
    const after = this.offsetAt(wallMs + DAY_MS);
    if (before === after) return before;
    const beforeValid = this.offsetAt(wallMs - before) === before;
    const afterValid = this.offsetAt(wallMs - after) === after;
    if (beforeValid && afterValid) return Math.max(before, after); // overlap: earlier instant
    if (afterValid) return after;
    // Valid under the old offset only, or a gap: the offset before the change
    // (in a gap this shifts the time forward by the gap length).
    return before;
  }

  private computeOffset(utcMs: number): number {
    const parts = this.format!.formatToParts(new Date(utcMs));
    const field: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
    for (const p of parts) field[p.type] = p.value;
    const year = Number(field.year ?? 0);
    const bc = field.era?.startsWith('B') ?? false;
    const wall = new Date(0);
    wall.setUTCFullYear(bc ? 1 - year : year, Number(field.month ?? 1) - 1, Number(field.day ?? 1));
    wall.setUTCHours(
      Number(field.hour ?? 0),
      Number(field.minute ?? 0),
      Number(field.second ?? 0),
      0,
    );
    return wall.getTime() - utcMs;
  }
}

/** Formats days since 1970-01-01 as `YYYY-MM-DD` (proleptic Gregorian). */
export function formatDay(day: number): string {
  // Howard Hinnant's civil_from_days.
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** Parses `YYYY-MM-DD` into days since 1970-01-01; `undefined` if not a real date. */
export function parseDay(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const day = Math.floor(ms / DAY_MS);
  return formatDay(day) === date ? day : undefined;
}
