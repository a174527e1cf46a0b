/** Typed arrays copied onto shared memory, which other threads read where it lies. */

type SharedCopyable = Int32Array | Uint8Array | Uint16Array | Float64Array;

/** A copy of `a` on a fresh `SharedArrayBuffer` (same type and length). */
export function sharedCopy<T extends SharedCopyable>(a: T): T {
  const Type = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Type(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
