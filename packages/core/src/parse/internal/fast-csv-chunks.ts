/**
 * The byte side of the CSV tokenizer: pushed chunks become decoded texts
 * that each end with LF (the tokenizer then never sees half a line), and
 * only the bytes after the last LF are copied and kept between chunks.
 * A text is decoded once, latin1 when its bytes are ASCII, UTF-8 otherwise;
 * whether its bytes are valid UTF-8 is judged on the bytes (a U+FFFD in
 * the text of valid bytes is a real character, not a decoding error).
 */
import { isAscii, isUtf8 } from 'node:buffer';

const LF = 10;

/** A decoded text and whether its bytes were valid UTF-8. */
export interface LineText {
  readonly text: string;
  /** False when some bytes of the text were not UTF-8 (decoded as U+FFFD). */
  readonly utf8: boolean;
}

/** Decoded texts of pushed chunks, each ending with LF; the rest at `end()`. */
export class LineChunks {
  /** Undecoded bytes after the last LF seen (a fragment of one row). */
  private pending: Buffer[] = [];
  private pendingLength = 0;

  /** Bytes kept after the last LF. */
  get length(): number {
    return this.pendingLength;
  }

  /**
   * The decoded texts (0–2) of `chunk` up to its last LF, the kept fragment
   * first; the bytes after the last LF are kept.
   */
  push(chunk: Uint8Array): LineText[] {
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastLf = bytes.lastIndexOf(LF);
    if (lastLf < 0) {
      this.keep(bytes, 0);
      return [];
    }
    const texts: LineText[] = [];
    if (this.pendingLength === 0) {
      texts.push(decode(bytes, 0, lastLf + 1));
    } else {
      const firstLf = bytes.indexOf(LF);
      this.pending.push(bytes.subarray(0, firstLf + 1));
      const head = Buffer.concat(this.pending, this.pendingLength + firstLf + 1);
      this.pending = [];
      this.pendingLength = 0;
      texts.push(decode(head, 0, head.length));
      if (lastLf > firstLf) texts.push(decode(bytes, firstLf + 1, lastLf + 1));
    }
    this.keep(bytes, lastLf + 1);
    return texts;
  }

  /** The kept fragment decoded (`''` when none); nothing is kept afterwards. */
  end(): LineText {
    const rest = this.pendingLength === 0 ? EMPTY : decodeParts(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    return rest;
  }

  /** Copies `bytes[from..]` (no LF in it) to the pending fragment. */
  private keep(bytes: Buffer, from: number): void {
    const size = bytes.length - from;
    if (size === 0) return;
    this.pending.push(Buffer.from(bytes.subarray(from)));
    this.pendingLength += size;
  }
}

const EMPTY: LineText = { text: '', utf8: true };

/** One native scan (`isAscii`) for ASCII bytes; a second (`isUtf8`) only for the others. */
function decode(bytes: Buffer, start: number, end: number): LineText {
  const view = bytes.subarray(start, end);
  if (isAscii(view)) return { text: view.toString('latin1'), utf8: true };
  return { text: view.toString('utf8'), utf8: isUtf8(view) };
}

function decodeParts(parts: Buffer[], length: number): LineText {
  const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  return decode(all, 0, all.length);
}

/** The number of LFs in `text[start, end)`. */
export function countLf(text: string, start: number, end: number): number {
  let count = 0;
  let at = text.indexOf('\n', start);
  while (at >= 0 && at < end) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}

/** UTF-8 bytes of `text[start, end)`. */
export function utf8Length(text: string, start: number, end: number): number {
  return Buffer.byteLength(start === 0 && end === text.length ? text : text.slice(start, end));
}
