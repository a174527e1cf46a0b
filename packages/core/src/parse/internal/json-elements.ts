/**
 * Splits the bytes of one top-level JSON array into its elements' bytes,
 * chunk by chunk, with O(1) state besides the element being collected: a
 * string-aware depth counter finds where each element ends, so nesting
 * costs nothing and an element longer than `maxRowBytes` is cut to its
 * first bytes while the scan goes on to its end. Each element is then
 * decoded on its own (json-text.ts); the structure around elements (the
 * brackets and commas) is checked here and fails the file with
 * `JSON_NOT_ARRAY` / `JSON_MALFORMED` naming the element where it broke.
 *
 * Hand-written rather than stream-json's tokenizer: that keeps one stack
 * entry per nesting level and one token object per bracket, so a small
 * gzip of nested brackets grew to gigabytes before any limit could act.
 */
import { ParseError } from '../../errors.js';
import type { SourceRef } from '../../types.js';
import { RAW_PREFIX_BYTES } from './json-text.js';

/** One element: its bytes (or first bytes, when `oversize`) and 1-based index. */
export interface JsonElement {
  readonly index: number;
  readonly bytes: Buffer;
  readonly oversize: boolean;
}

enum Phase {
  Before,
  Expect,
  AfterComma,
  Element,
  After,
  Done,
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Stateful splitter: feed chunks with `push`, then call `end`. */
export class JsonElementSplitter {
  private phase = Phase.Before;
  private index = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** The element is a bare scalar (number, literal): it ends before a delimiter. */
  private bare = false;
  private pieces: Buffer[] = [];
  private size = 0;
  private oversize = false;

  constructor(
    private readonly source: SourceRef,
    private readonly maxRowBytes: number,
  ) {}

  /** The elements completed in `buf`. */
  push(buf: Buffer): JsonElement[] {
    const out: JsonElement[] = [];
    let start = this.phase === Phase.Element ? 0 : -1;
    const len = buf.length;
    for (let i = 0; i < len; i++) {
      const c = buf[i]!;
      switch (this.phase) {
        case Phase.Element: {
          if (this.inString) {
            if (this.escape) this.escape = false;
            else if (c === 0x5c) this.escape = true;
            else if (c === 0x22) {
              this.inString = false;
              if (this.depth === 0) {
                out.push(this.finish(buf, start, i + 1));
                start = -1;
              }
            }
          } else if (this.bare) {
            if (c === 0x2c || c === 0x5d || isSpace(c)) {
              out.push(this.finish(buf, start, i));
              start = -1;
              i--; // the delimiter belongs to the array
            }
          } else if (c === 0x22) {
            this.inString = true;
          } else if (c === 0x7b || c === 0x5b) {
            this.depth++;
          } else if (c === 0x7d || c === 0x5d) {
            if (--this.depth === 0) {
              out.push(this.finish(buf, start, i + 1));
              start = -1;
            }
          }
          break;
        }
        case Phase.Before:
          if (isSpace(c)) break;
          if (c !== 0x5b) {
            throw new ParseError(
              'JSON_NOT_ARRAY',
              `${this.source.id}: expected a JSON array at the top level, found ${JSON.stringify(String.fromCharCode(c))}`,
              { source: this.source },
            );
          }
          this.phase = Phase.Expect;
          break;
        case Phase.Expect:
        case Phase.AfterComma:
          if (isSpace(c)) break;
          if (c === 0x5d && this.phase === Phase.Expect) {
            this.phase = Phase.Done;
            break;
          }
          if (c === 0x5d || c === 0x2c) this.malformed(`unexpected ${String.fromCharCode(c)}`);
          this.begin(c);
          start = i;
          break;
        case Phase.After:
          if (isSpace(c)) break;
          if (c === 0x2c) this.phase = Phase.AfterComma;
          else if (c === 0x5d) this.phase = Phase.Done;
          else this.malformed('expected , or ] after the element', this.index);
          break;
        case Phase.Done:
          if (!isSpace(c)) this.malformed('unexpected data after the array', this.index);
          break;
      }
    }
    if (this.phase === Phase.Element && start >= 0) this.collect(buf.subarray(start));
    return out;
  }

  /** Call after the last chunk; the last bare scalar, if the input ends on it. */
  end(): void {
    if (this.phase === Phase.Before) {
      throw new ParseError('JSON_NOT_ARRAY', `${this.source.id}: file contains no JSON value`, {
        source: this.source,
      });
    }
    if (this.phase !== Phase.Done) {
      this.malformed(
        'unexpected end of file',
        this.phase === Phase.After ? this.index : this.index + 1,
      );
    }
  }

  private begin(c: number): void {
    this.phase = Phase.Element;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.bare = false;
    if (c === 0x22) this.inString = true;
    else if (c === 0x7b || c === 0x5b) this.depth = 1;
    else this.bare = true;
  }

  private collect(piece: Buffer): void {
    if (this.oversize) return;
    if (this.size + piece.length > this.maxRowBytes) {
      this.oversize = true;
      this.pieces = [Buffer.concat([...this.pieces, piece]).subarray(0, RAW_PREFIX_BYTES + 1)];
      return;
    }
    this.pieces.push(piece);
    this.size += piece.length;
  }

  private finish(buf: Buffer, start: number, end: number): JsonElement {
    this.collect(buf.subarray(start, end));
    const bytes = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    const element = { index: ++this.index, bytes, oversize: this.oversize };
    this.pieces = [];
    this.size = 0;
    this.oversize = false;
    this.phase = Phase.After;
    return element;
  }

  private malformed(what: string, element = this.index + 1): never {
    throw new ParseError(
      'JSON_MALFORMED',
      `${this.source.id}: malformed JSON in array element ${element}: ${what}`,
      { source: this.source, line: element },
    );
  }
}
