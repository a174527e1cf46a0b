/**
 * Code-point order for strings (SPEC section 4 tie-breaks). JavaScript's `<`
 * compares UTF-16 code units, which orders U+E000–U+FFFF after astral
 * characters; remapping units the way ICU does restores code-point order
 * without allocating.
 */
function fixup(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b` in code-point order. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

/** The numbers `0..n)` sorted by `cmp`. */
export function sortedOrder(n: number, cmp: (a: number, b: number) => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort(cmp);
}
