/**
 * The service's limits: how large, how slow and how wide one upload may be.
 * Each is an option with a default, and each breach is answered with its own
 * status and code instead of holding memory or a socket:
 *
 * | limit             | default | breach                                              |
 * | ----------------- | ------- | --------------------------------------------------- |
 * | `maxBodyBytes`    | 256 MiB | 413 `BODY_TOO_LARGE` (at once if Content-Length says so) |
 * | `headersTimeoutMs`| 10 s    | 408 (Node's `headersTimeout`: slow or missing headers)   |
 * | `requestTimeoutMs`| 5 min   | 408 `REQUEST_TIMEOUT` (whole body not received in time)  |
 * | `idleTimeoutMs`   | 30 s    | 408 `IDLE_TIMEOUT` (no body bytes for that long)         |
 * | `maxDates`        | 366     | 422 `TOO_MANY_DATES` (KPIs of more dates than that; `?date=` picks one) |
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';

/** The limit options of `createKpiService` (merged into its schema). */
export const serviceLimitsSchema = z.object({
  /** Largest request body in bytes. Default 256 MiB. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1)
    .default(256 * 1024 * 1024),
  /** Time to receive a request's headers, in ms. Default 10 s. */
  headersTimeoutMs: z.number().int().min(1).default(10_000),
  /** Time to receive a whole request body, in ms. Default 5 min. */
  requestTimeoutMs: z.number().int().min(1).default(300_000),
  /** Longest pause between two body chunks, in ms. Default 30 s. */
  idleTimeoutMs: z.number().int().min(1).default(30_000),
  /** Most dates whose KPIs one response may carry. Default 366. */
  maxDates: z.number().int().min(1).default(366),
  /** How often Node checks header timeouts, in ms. Default 1 s. */
  timeoutCheckIntervalMs: z.number().int().min(1).default(1000),
});

/** The limits, parsed. */
export type ServiceLimits = z.output<typeof serviceLimitsSchema>;

/** A request broke a limit: answered with `status` and `code`. */
export class ServiceLimitError extends Error {
  override readonly name = 'ServiceLimitError';
  constructor(
    readonly status: 408 | 413 | 422,
    readonly code: 'BODY_TOO_LARGE' | 'REQUEST_TIMEOUT' | 'IDLE_TIMEOUT' | 'TOO_MANY_DATES',
    message: string,
  ) {
    super(message);
  }
}

/** Throws `BODY_TOO_LARGE` when the request announces a body over the limit. */
export function checkContentLength(req: IncomingMessage, limits: ServiceLimits): void {
  const length = Number(req.headers['content-length'] ?? Number.NaN);
  if (length > limits.maxBodyBytes) throw tooLarge(limits);
}

function tooLarge(limits: ServiceLimits): ServiceLimitError {
  return new ServiceLimitError(
    413,
    'BODY_TOO_LARGE',
    `The request body is larger than ${limits.maxBodyBytes} bytes (maxBodyBytes)`,
  );
}

/**
 * The request body as a byte source that enforces `maxBodyBytes`,
 * `idleTimeoutMs` and `requestTimeoutMs`: the pipeline's next read fails
 * with a {@link ServiceLimitError} as soon as one is broken.
 */
export async function* limitedBody(
  req: IncomingMessage,
  limits: ServiceLimits,
): AsyncGenerator<Buffer> {
  // Not destroying the request on an early stop keeps the socket open for the answer.
  const iterator = req.iterator({ destroyOnReturn: false });
  const deadline = Date.now() + limits.requestTimeoutMs;
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const left = deadline - Date.now();
      const idle = left > limits.idleTimeoutMs;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              idle
                ? new ServiceLimitError(
                    408,
                    'IDLE_TIMEOUT',
                    `No request body bytes for ${limits.idleTimeoutMs} ms (idleTimeoutMs)`,
                  )
                : new ServiceLimitError(
                    408,
                    'REQUEST_TIMEOUT',
                    `The request body was not received within ${limits.requestTimeoutMs} ms (requestTimeoutMs)`,
                  ),
            ),
          Math.max(0, idle ? limits.idleTimeoutMs : left),
        );
      });
      const pending = iterator.next();
      pending.catch(() => {}); // a read still pending when a limit fires settles later, unobserved
      const next = await Promise.race([pending, timeout]);
      clearTimeout(timer);
      if (next.done === true) return;
      const chunk = next.value as Buffer;
      bytes += chunk.length;
      if (bytes > limits.maxBodyBytes) throw tooLarge(limits);
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
    // Not awaited: after a timeout a read is still pending on the iterator.
    iterator.return?.().catch(() => {});
  }
}
