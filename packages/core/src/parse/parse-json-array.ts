import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Assembler from 'stream-json/assembler.js';
import jsonParser, { type Token } from 'stream-json/parser.js';
import type { z } from 'zod';
import { ParseError, PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { RawRow } from '../types.js';
import { type ByteSource, destroyAndWait, guardLines } from './internal/bytes.js';
import { isJsonObject, rawValueFields, toRawFields } from './internal/json-fields.js';
import { baseParseOptionsSchema } from './internal/parse-options.js';
import { RowBatcher } from './internal/row-batcher.js';
import type { ByteParser } from './parse-csv.js';

/** Options of {@link parseJsonArray}: see the fields of the schema. */
export const parseJsonArrayOptionsSchema = baseParseOptionsSchema;

/** Options of {@link parseJsonArray}. */
export type ParseJsonArrayOptions = z.input<typeof parseJsonArrayOptionsSchema>;

/**
 * Parses a file holding one JSON array of objects into batches of
 * {@link RawRow}, streaming on stream-json's tokenizer (the array is never
 * held in memory). `line` is the element index + 1. Numbers keep their exact
 * text; `null` becomes `''`. The header checked by `onHeader` is the keys of
 * the first element.
 *
 * Bad input: a top-level value that is not an array → `ParseError`
 * `JSON_NOT_ARRAY`; malformed JSON → `ParseError` `JSON_MALFORMED` with the
 * element number as `line`; an element that is not an object → row with
 * `problem.reason = 'not_an_object'`; an element whose text exceeds
 * `maxRowBytes` → `ParseError` `LINE_TOO_LONG`; 0 bytes → `ParseError`
 * `EMPTY_FILE`; `[]` → no rows, no error.
 */
export function parseJsonArray(options: ParseJsonArrayOptions): ByteParser {
  const { source, batchSize, maxRowBytes, onHeader, metrics } = parseOptions(
    parseJsonArrayOptionsSchema,
    options,
    'parseJsonArray',
  );

  return async function* parseJsonArrayStage(bytes: ByteSource, context) {
    const signal = context?.signal;
    const tokens = jsonParser.asStream();
    const input = Readable.from(
      guardLines(bytes, { source, maxLineBytes: Number.POSITIVE_INFINITY, signal }),
      { objectMode: false },
    );
    // Errors reach the token iterator (pipeline destroys every stream with
    // the first error), so the promise itself only needs a handler.
    pipeline(input, tokens).catch(() => {});

    const batcher = new RowBatcher(batchSize, source, metrics ?? context?.metrics);
    let started = false;
    let element: Assembler | undefined;
    let index = 0;
    let elementChars = 0;
    let headerChecked = false;
    try {
      for await (const token of tokens as AsyncIterable<Token>) {
        if (!started) {
          if (token.name !== 'startArray') {
            throw new ParseError(
              'JSON_NOT_ARRAY',
              `${source.id}: expected a JSON array at the top level, found ${token.name}`,
              { source },
            );
          }
          started = true;
          continue;
        }
        if (token.name === 'stringChunk' || token.name === 'numberChunk') {
          elementChars += token.value.length;
          if (elementChars > maxRowBytes) {
            throw new ParseError(
              'LINE_TOO_LONG',
              `${source.id}: array element ${index + 1} is longer than maxRowBytes (${maxRowBytes} bytes)`,
              { source, line: index + 1 },
            );
          }
          continue;
        }
        if (element === undefined) {
          if (token.name === 'endArray') continue;
          if (
            token.name !== 'startObject' &&
            token.name !== 'startArray' &&
            token.name !== 'stringValue' &&
            token.name !== 'numberValue' &&
            token.name !== 'nullValue' &&
            token.name !== 'trueValue' &&
            token.name !== 'falseValue'
          ) {
            continue; // streamed start/end markers of a scalar
          }
          element = new Assembler({ numberAsString: true });
        }
        element.consume(token);
        if (!element.done) continue;
        const value: unknown = element.current;
        element = undefined;
        elementChars = 0;
        const line = ++index;
        let row: RawRow;
        if (isJsonObject(value)) {
          const fields = toRawFields(value);
          if (!headerChecked) {
            headerChecked = true;
            onHeader?.(Object.keys(fields));
          }
          row = { source, line, fields };
        } else {
          row = {
            source,
            line,
            fields: rawValueFields(JSON.stringify(value)),
            problem: { reason: 'not_an_object', message: 'array element is not a JSON object' },
          };
        }
        const full = batcher.add(row);
        if (full !== undefined) {
          signal?.throwIfAborted();
          yield full;
        }
      }
    } catch (err) {
      if (err instanceof PipelineError || !/^Parser\b/.test((err as Error).message)) throw err;
      throw new ParseError(
        'JSON_MALFORMED',
        `${source.id}: malformed JSON in array element ${index + 1}: ${(err as Error).message}`,
        { source, line: index + 1, cause: err },
      );
    } finally {
      tokens.destroy();
      await destroyAndWait(input);
    }
    if (!started) {
      throw new ParseError('JSON_NOT_ARRAY', `${source.id}: file contains no JSON value`, {
        source,
      });
    }
    const rest = batcher.take();
    if (rest.length > 0) yield rest;
  };
}
