/**
 * The slow path of the fast CSV tokenizer: splits one row that contains a
 * quote character into cells, with exactly csv-parser 3.x's rules (its
 * `parseLine`/`parseCell`), so that both engines agree on every input,
 * including malformed ones such as `a"b,c` or `"a"b`.
 *
 * Rules, as csv-parser applies them:
 * - a quote opens a quoted section when not quoted; while quoted, a quote
 *   closes it only when the next character is the delimiter; `""` while
 *   quoted is an escaped quote;
 * - a cell that starts and ends with a quote loses both; inside it every
 *   `""` becomes `"`;
 * - a row ending with the delimiter gets a trailing empty cell.
 *
 * Works on decoded strings: quote and delimiter are ASCII, so splitting the
 * decoded text gives the same cells as csv-parser's per-cell decoding.
 *
 * Also here: {@link findRowEnd}, which finds where a row with quotes ends
 * (its LF outside quotes), the scan that decides a row goes this way.
 */

const QUOTE = 34;

/**
 * Appends the cells of the row `text[start, end)` (line terminator already
 * removed) to `cells`; of a row with more than `maxFields` cells only the
 * first `maxFields` and one empty cell.
 */
export function splitQuotedRow(
  text: string,
  start: number,
  end: number,
  delimiter: number,
  maxFields: number,
  cells: string[],
): void {
  let room = maxFields;
  let quoted = false;
  let offset = start;
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      if (!quoted) {
        quoted = true;
        continue;
      }
      const next = i + 1 < end ? text.charCodeAt(i + 1) : -1;
      if (next === delimiter) {
        quoted = false;
        continue;
      }
      if (next === QUOTE) {
        i++;
      }
      continue;
    }
    if (ch === delimiter && !quoted) {
      if (--room < 0) {
        cells.push('');
        return;
      }
      cells.push(unquoteCell(text, offset, i));
      offset = i + 1;
    }
  }
  if (offset < end) {
    cells.push(unquoteCell(text, offset, end));
  }
  if (end > start && text.charCodeAt(end - 1) === delimiter) {
    cells.push('');
  }
}

/** csv-parser's `parseCell`: strip enclosing quotes, then turn `""` into `"`. */
function unquoteCell(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  if (text.charCodeAt(from) === QUOTE && text.charCodeAt(to - 1) === QUOTE) {
    from++;
    to--;
  }
  if (to <= from) return '';
  let quote = text.indexOf('"', from);
  if (quote < 0 || quote >= to) return text.slice(from, to);
  let out = '';
  let copied = from;
  while (quote >= 0 && quote < to) {
    if (quote + 1 < to && text.charCodeAt(quote + 1) === QUOTE) {
      // Keep the second quote of the pair: drop the first.
      out += text.slice(copied, quote);
      copied = quote + 1;
      quote = text.indexOf('"', quote + 2);
    } else {
      quote = text.indexOf('"', quote + 1);
    }
  }
  return out + text.slice(copied, to);
}

/** Marker returned by {@link findRowEnd} for a row still in quotes. */
export const OPEN = -1;

/** Where the quote that left a row open is. */
export interface OpenQuote {
  at: number;
}

/**
 * Finds the LF that ends the row starting at `start`, scanning quotes from
 * `from` (inside quotes if `inQuotes`). Returns the LF index, the text
 * length for a final line without LF, or {@link OPEN} if the row is still
 * in quotes at the end of the text; `open.at` gets the offset, from
 * `start`, of the quote that opened the last quoted section.
 */
export function findRowEnd(
  open: OpenQuote,
  text: string,
  start: number,
  from: number,
  inQuotes: boolean,
): number {
  let at = from;
  let quoted = inQuotes;
  let lf = -1;
  for (;;) {
    if (quoted) {
      const quote = text.indexOf('"', at);
      if (quote < 0) return OPEN;
      quoted = false;
      at = quote + 1;
    } else {
      if (lf < at) {
        lf = text.indexOf('\n', at);
        // No LF left: only on the final line (otherwise the text ends with LF).
        if (lf < 0) lf = text.length;
      }
      const quote = text.indexOf('"', at);
      if (quote < 0 || quote > lf) return lf;
      quoted = true;
      open.at = quote - start;
      at = quote + 1;
    }
  }
}
