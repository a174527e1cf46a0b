/**
 * Columns of a batch allocated once at the batch's size: growing an array
 * row by row reallocates (and copies) it about ten times for 1000 rows.
 */

/**
 * Past this many rows V8 would hold a preallocated array as a dictionary
 * (slow elements); such columns grow as they fill instead.
 */
const MAX_PREALLOCATED = 65_536;

/** An array with room for `capacity` values (write rows by index, then {@link cutColumns}). */
export function column<T>(capacity: number): T[] {
  return capacity === 0 || capacity > MAX_PREALLOCATED ? [] : new Array<T>(capacity);
}

/**
 * {@link column} for values that are not small integers (instants in ms):
 * its elements are doubles from the start. A column made by `column` turns
 * into one on its first such value, allocating its elements a second time.
 */
export function doubleColumn(capacity: number): number[] {
  if (capacity === 0 || capacity > MAX_PREALLOCATED) return [];
  const c = [0.5];
  c.length = capacity;
  return c;
}

/** Cuts each column to the `length` values written. */
export function cutColumns(length: number, ...columns: unknown[][]): void {
  for (const c of columns) if (c.length !== length) c.length = length;
}
