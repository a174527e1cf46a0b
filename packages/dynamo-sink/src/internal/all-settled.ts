/**
 * Like `Promise.all`, but settles every promise before it settles: a
 * rejection does not leave the others running once the caller has moved on.
 * Rejects with the first rejection in input order.
 */
export async function allSettledOrThrow<T>(promises: Iterable<T | PromiseLike<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const values: T[] = [];
  for (const r of results) {
    if (r.status === 'rejected') throw r.reason;
    values.push(r.value);
  }
  return values;
}
