/**
 * A run's overall deadline: one signal that aborts when the caller's signal
 * does or when `timeoutMs` has passed, and the error that names what the
 * run was still waiting for.
 */

/** A run did not finish within its `timeoutMs`. */
export class RunTimeoutError extends Error {
  readonly code = 'RUN_TIMEOUT';
  /** The stream objects still in flight when the deadline passed. */
  readonly waitingOn: readonly string[];
  constructor(timeoutMs: number, waitingOn: readonly string[], options?: { cause?: unknown }) {
    const what =
      waitingOn.length === 0
        ? 'the listing, reference data or connection (no object in flight)'
        : `objects ${waitingOn.join(', ')}`;
    super(`runKpis: not finished within timeoutMs ${timeoutMs}; waiting on ${what}`, options);
    this.name = 'RunTimeoutError';
    this.waitingOn = waitingOn;
  }
}

/** The run's signal: the caller's, plus the deadline when there is one. */
export function runDeadline(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): { readonly signal: AbortSignal | undefined; timedOut(): boolean } {
  if (timeoutMs === undefined) return { signal, timedOut: () => false };
  const deadline = AbortSignal.timeout(timeoutMs);
  return {
    signal: signal === undefined ? deadline : AbortSignal.any([signal, deadline]),
    timedOut: () => deadline.aborted && !(signal?.aborted ?? false),
  };
}

/**
 * Runs `body` under the deadline; `inFlight` is the set of object keys it
 * keeps while they are processed. A failure past the deadline becomes a
 * {@link RunTimeoutError} naming them.
 */
export async function withDeadline<T>(
  callerSignal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  body: (signal: AbortSignal | undefined, inFlight: Set<string>) => Promise<T>,
): Promise<T> {
  const deadline = runDeadline(callerSignal, timeoutMs);
  const inFlight = new Set<string>();
  try {
    return await body(deadline.signal, inFlight);
  } catch (error) {
    if (deadline.timedOut())
      throw new RunTimeoutError(timeoutMs ?? 0, [...inFlight], { cause: error });
    throw error;
  }
}

/** `work()`, with `key` in `inFlight` while it runs. */
export async function tracked<T>(inFlight: Set<string>, key: string, work: () => Promise<T>) {
  inFlight.add(key);
  try {
    return await work();
  } finally {
    inFlight.delete(key);
  }
}
