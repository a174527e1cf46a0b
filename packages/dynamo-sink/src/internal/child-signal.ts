/**
 * A signal of its own for one unit of concurrent work (a stream object, a
 * date's commit, one partial read), aborting with the run's.
 *
 * The SDK adds an `abort` listener to the signal of every call in flight;
 * a run's signal shared by every call (objects, their claim renewals, every
 * date's commit and its partial reads) passed Node's limit of 10 listeners
 * and warned of a leak. `AbortSignal.any` registers no listener on its
 * source (Node keeps weak references to dependent signals), so the run's
 * signal carries the same few listeners however many units run, and each
 * unit's signal only that unit's calls.
 */
export function childSignal(parent: AbortSignal): AbortSignal;
export function childSignal(parent: AbortSignal | undefined): AbortSignal | undefined;
export function childSignal(parent: AbortSignal | undefined): AbortSignal | undefined {
  return parent === undefined ? undefined : AbortSignal.any([parent]);
}
