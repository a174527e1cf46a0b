/** SDK call options carrying the signal only when there is one (exactOptionalPropertyTypes). */
export function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}
