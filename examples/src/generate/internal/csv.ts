const NEEDS_QUOTES = /[",\r\n]/;

/** Quotes a CSV field per RFC 4180 when it contains a comma, quote or line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
