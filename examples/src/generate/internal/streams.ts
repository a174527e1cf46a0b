import { base62, type Prng } from './prng.js';

/** Header of every stream file. */
export const STREAMS_HEADER = 'user_id,track_id,listen_time';

/** Kinds of dirty stream rows; each dirty row has exactly one. */
export const DIRTY_KINDS = [
  'invalidUserId',
  'invalidListenTime',
  'emptyTrackId',
  'unknownTrack',
  'raggedRow',
] as const;

/** One kind of dirty stream row. */
export type DirtyKind = (typeof DIRTY_KINDS)[number];

/** Counts of one stream file (or of all of them). */
export interface StreamStats {
  /** Data rows (header excluded), dirty ones included. */
  rows: number;
  /** Dirty rows by kind; each is rejected by a correct pipeline. */
  dirty: Record<DirtyKind, number>;
  /** Valid rows whose user id is not in users.csv (kept, counted). */
  unknownUserRows: number;
  /** Valid rows with an ISO-8601 timestamp (`T`, offset or `Z`). */
  isoRows: number;
  /** Valid rows whose user id has surrounding spaces (valid after trimming). */
  paddedUserIdRows: number;
  /** UTC dates (YYYY-MM-DD) of the valid rows. */
  dates: string[];
}

/** Fresh zeroed stats. */
export function emptyStreamStats(): StreamStats {
  return {
    rows: 0,
    dirty: {
      invalidUserId: 0,
      invalidListenTime: 0,
      emptyTrackId: 0,
      unknownTrack: 0,
      raggedRow: 0,
    },
    unknownUserRows: 0,
    isoRows: 0,
    paddedUserIdRows: 0,
    dates: [],
  };
}

const BAD_USER_IDS = ['abc', '-5', '0', '', '1.5', '12a', 'user_42', '0x1F', '+7'];
const BAD_TIMES = [
  '2024-13-45 99:00:00',
  '2024-02-30 12:00:00',
  '2023-02-29 08:15:00',
  'not-a-date',
  '',
  '2024-06-25 24:00:00',
  '2024-06-31 10:00:00',
  '2024-06-25T10:00:00+25:00',
  '2024-06-25 10:61:00',
];

/** Everything a stream file needs to know. */
export interface StreamFileSpec {
  rows: number;
  /** First second of the file's window, seconds since the first day 00:00 UTC. */
  windowStart: number;
  /** Window length in seconds. */
  windowSeconds: number;
  startDateMs: number;
  users: number;
  tracks: readonly string[];
  dirtyRate: number;
  unknownUserRate: number;
  isoRate: number;
}

/** Appends ASCII text and numbers to a fixed buffer; no intermediate strings on the hot path. */
class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  text(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  uint(n: number): void {
    if (n < 10) {
      this.buf[this.pos++] = 48 + n;
      return;
    }
    const start = this.pos;
    let v = n;
    while (v > 0) {
      this.buf[this.pos++] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    // Digits were written least significant first.
    for (let i = start, j = this.pos - 1; i < j; i++, j--) {
      const t = this.buf[i] as number;
      this.buf[i] = this.buf[j] as number;
      this.buf[j] = t;
    }
  }

  two(n: number): void {
    this.buf[this.pos++] = 48 + Math.floor(n / 10);
    this.buf[this.pos++] = 48 + (n % 10);
  }

  copy(src: Uint8Array, from: number, length: number): void {
    for (let i = 0; i < length; i++) this.buf[this.pos + i] = src[from + i] as number;
    this.pos += length;
  }

  /** Hands out what was written and starts a new buffer. */
  take(size: number): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    return out;
  }
}

const CHUNK_BYTES = 1 << 20;
/** Longest line a row can produce (dirty rows included), with room to spare. */
const MAX_LINE = 256;
const TRACK_ID_LENGTH = 22;

/**
 * Yields one stream file in chunks of about 1 MB. Listens are skewed
 * (Zipf-like: index = n·u³ over shuffled tracks, n·u² over users), so a few
 * tracks and users get most of the listens. Bytes are written straight into
 * buffers: building strings here costs more in GC than everything else.
 */
export function* streamChunks(
  rng: Prng,
  spec: StreamFileSpec,
  stats: StreamStats,
): Generator<Buffer> {
  const { tracks, users } = spec;
  const n = tracks.length;
  const trackBytes = Buffer.alloc(n * TRACK_ID_LENGTH);
  for (let i = 0; i < n; i++) {
    const id = tracks[i] as string;
    if (id.length !== TRACK_ID_LENGTH) throw new Error(`track id of unexpected length: ${id}`);
    trackBytes.write(id, i * TRACK_ID_LENGTH, 'latin1');
  }
  const dayNames = new Map<number, string>();
  const dayName = (day: number): string => {
    let s = dayNames.get(day);
    if (s === undefined) {
      s = new Date(spec.startDateMs + day * 86_400_000).toISOString().slice(0, 10);
      dayNames.set(day, s);
    }
    return s;
  };
  const firstDay = Math.floor(spec.windowStart / 86_400);
  const lastDay = Math.floor((spec.windowStart + spec.windowSeconds - 1) / 86_400);
  const dayBytes = Buffer.alloc((lastDay - firstDay + 1) * 10);
  for (let d = firstDay; d <= lastDay; d++)
    dayBytes.write(dayName(d), (d - firstDay) * 10, 'latin1');
  const validDays = new Uint8Array(lastDay - firstDay + 1);
  const w = new ByteWriter(CHUNK_BYTES);
  w.text(`${STREAMS_HEADER}\n`);
  const writeTime = (day: number, sod: number, sep: number): void => {
    w.copy(dayBytes, (day - firstDay) * 10, 10);
    w.byte(sep);
    w.two(Math.floor(sod / 3600));
    w.byte(58);
    w.two(Math.floor((sod % 3600) / 60));
    w.byte(58);
    w.two(sod % 60);
  };
  const timeText = (day: number, sod: number): string => {
    const p = (x: number) => String(x).padStart(2, '0');
    return `${dayName(day)} ${p(Math.floor(sod / 3600))}:${p(Math.floor((sod % 3600) / 60))}:${p(sod % 60)}`;
  };
  for (let i = 0; i < spec.rows; i++) {
    const u = rng.float();
    let uid = 1 + Math.floor(users * u * u);
    const tu = rng.float();
    const t = Math.floor(n * tu * tu * tu);
    const sec = spec.windowStart + rng.int(spec.windowSeconds);
    const day = Math.floor(sec / 86_400);
    const sod = sec - day * 86_400;
    const r = rng.float();
    if (r < spec.dirtyRate) {
      const tid = tracks[t] as string;
      const time = timeText(day, sod);
      const kind = rng.int(5);
      if (kind === 0) {
        w.text(`${rng.pick(BAD_USER_IDS)},${tid},${time}\n`);
        stats.dirty.invalidUserId++;
      } else if (kind === 1) {
        w.text(`${uid},${tid},${rng.pick(BAD_TIMES)}\n`);
        stats.dirty.invalidListenTime++;
      } else if (kind === 2) {
        w.text(`${uid},${rng.float() < 0.5 ? '' : '   '},${time}\n`);
        stats.dirty.emptyTrackId++;
      } else if (kind === 3) {
        // 30 characters: never equal to a generated 22-character track id.
        w.text(`${uid},zz${base62(rng, 20)}-unknown,${time}\n`);
        stats.dirty.unknownTrack++;
      } else {
        w.text(rng.float() < 0.5 ? `${uid},${tid}\n` : `${uid},${tid},${time},extra\n`);
        stats.dirty.raggedRow++;
      }
    } else {
      if (rng.float() < spec.unknownUserRate) {
        uid = users + 1 + rng.int(1000);
        stats.unknownUserRows++;
      }
      if (rng.float() < 0.001) {
        w.byte(32);
        w.uint(uid);
        w.byte(32);
        stats.paddedUserIdRows++;
      } else {
        w.uint(uid);
      }
      w.byte(44);
      w.copy(trackBytes, t * TRACK_ID_LENGTH, TRACK_ID_LENGTH);
      w.byte(44);
      if (rng.float() < spec.isoRate) {
        // The same instant written in local time with an offset, or with Z.
        const offsetHours = rng.int(27) - 12;
        const local = sec + offsetHours * 3600;
        const lday = Math.floor(local / 86_400);
        const lsod = local - lday * 86_400;
        w.text(timeText(lday, lsod).replace(' ', 'T'));
        if (offsetHours === 0) {
          w.byte(90);
        } else {
          w.byte(offsetHours < 0 ? 45 : 43);
          w.two(Math.abs(offsetHours));
          w.text(':00');
        }
        stats.isoRows++;
      } else {
        writeTime(day, sod, 32);
      }
      w.byte(10);
      validDays[day - firstDay] = 1;
    }
    stats.rows++;
    if (w.pos > CHUNK_BYTES - MAX_LINE) yield w.take(CHUNK_BYTES);
  }
  if (w.pos > 0) yield w.take(0);
  const dates: string[] = [];
  for (let d = firstDay; d <= lastDay; d++)
    if (validDays[d - firstDay] === 1) dates.push(dayName(d));
  stats.dates = dates;
}
