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

/** Cuts each column to the `length` values written. */
export function cutColumns(length: number, ...columns: unknown[][]): void {
  for (const c of columns) if (c.length !== length) c.length = length;
}
