/**
 * Growable byte writer and bounds-checked reader for the KPI state format:
 * unsigned LEB128 varints for integers up to 2^53-1 (arithmetic, not bit ops,
 * so values above 2^31 survive), length-prefixed UTF-8 strings.
 */
import * as zlib from 'node:zlib';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends bytes to a buffer that doubles as needed. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private pos = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const cap = Math.max(this.buf.length * 2, this.pos + n);
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Makes room for `n` more bytes at once. */
  reserve(n: number): void {
    this.ensure(n);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Appends `src[from..to)`. */
  copy(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    if (n > 64) buf.set(src.subarray(from, to), pos);
    else for (let k = from; k < to; k++) buf[pos++] = src[k]!;
    this.pos += n;
  }

  varint(v: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    let n = v;
    // Above 2^31 the bit operators no longer apply: float steps down to it.
    while (n > 0x7fffffff) {
      buf[pos++] = (n % 128) + 128;
      n = Math.floor(n / 128);
    }
    while (n >= 128) {
      buf[pos++] = (n & 127) | 128;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /** Zig-zag signed varint. */
  svarint(v: number): void {
    this.varint(v < 0 ? -2 * v - 1 : 2 * v);
  }

  /** Length-prefixed UTF-8 (lone surrogates as U+FFFD, as `TextEncoder` writes them). */
  string(s: string): void {
    // Up to 42 units take at most 126 bytes: a one-byte length, encoded in place.
    if (s.length <= 42) {
      this.ensure(1 + 3 * s.length);
      this.pos = utf8Into(s, this.buf, this.pos);
      return;
    }
    const b = encoder.encode(s);
    this.varint(b.length);
    this.bytes(b);
  }

  u32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  /** The bytes written so far (a view, valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** The bytes written so far (a copy trimmed to size). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Writes `s` (at most 42 units) at `at` as a one-byte length and its UTF-8 bytes; returns the end. */
function utf8Into(s: string, buf: Uint8Array, at: number): number {
  let p = at + 1;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 63);
        buf[p++] = 0x80 | ((cp >> 6) & 63);
        buf[p++] = 0x80 | (cp & 63);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    buf[p++] = 0xe0 | (c >> 12);
    buf[p++] = 0x80 | ((c >> 6) & 63);
    buf[p++] = 0x80 | (c & 63);
  }
  buf[at] = p - at - 1;
  return p;
}

/** Thrown by {@link ByteReader} on truncated or malformed input. */
export class ByteReadError extends Error {}

/** Reads what {@link ByteWriter} wrote; throws {@link ByteReadError} past the end. */
export class ByteReader {
  pos = 0;
  constructor(
    /** The bytes read (for callers that compare in place). */
    readonly buf: Uint8Array,
    private readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw new ByteReadError(`truncated at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new ByteReadError(`truncated at byte ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 127) * scale;
      if (b < 128) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= 128;
    }
    throw new ByteReadError(`bad varint at byte ${this.pos}`);
  }

  svarint(): number {
    const z = this.varint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  /** Skips a length-prefixed string without decoding it. */
  skipString(): void {
    const n = this.varint();
    if (n > this.end - this.pos) throw new ByteReadError(`truncated at byte ${this.pos}`);
    this.pos += n;
  }

  /** The bytes from `start` to the current position. */
  since(start: number): Uint8Array {
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    const n = this.varint();
    try {
      return decoder.decode(this.bytes(n));
    } catch (error) {
      if (error instanceof ByteReadError) throw error;
      throw new ByteReadError(`invalid UTF-8 at byte ${this.pos}`);
    }
  }
}

/** zlib's native CRC-32 (Node ≥ 20.15), when this Node has it. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE) of `bytes`, to detect corrupt stored state. */
export function crc32(bytes: Uint8Array): number {
  return nativeCrc32 === undefined ? tableCrc32(bytes) : nativeCrc32(bytes) >>> 0;
}

/** {@link crc32} in JavaScript, for Node versions without `zlib.crc32`. @internal */
export function tableCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
