/**
 * Connection and request timeouts for AWS SDK v3 clients (S3 and DynamoDB
 * alike): without them a connection that is accepted and never answered
 * leaves a call, and so a run, waiting forever. A timed-out attempt is a
 * transient error the SDK's retry strategy retries like any other.
 * Built on the SDK's own `NodeHttpHandler` (`@smithy/node-http-handler`).
 */
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import { z } from 'zod';
import { parseOptions } from './internal/s3-util.js';

/** Options of {@link httpTimeouts}. */
export const httpTimeoutsOptionsSchema = z.object({
  /** Milliseconds to establish a connection. Default 5,000. */
  connectionTimeoutMs: z.number().int().min(1).default(5_000),
  /**
   * Milliseconds to wait for the response, and at most between two bytes of
   * its body. Default 60,000.
   */
  requestTimeoutMs: z.number().int().min(1).default(60_000),
});

/** Options of {@link httpTimeouts}. */
export type HttpTimeoutsOptions = z.input<typeof httpTimeoutsOptionsSchema>;

type Timeouts = z.output<typeof httpTimeoutsOptionsSchema>;

/** The settings of each handler {@link httpTimeouts} made, read back by {@link timeoutsOf}. */
const made = new WeakMap<object, Timeouts>();

/**
 * Client config with a request handler that bounds every connection and
 * request: spread it into `new S3Client({...})` or `new DynamoDBClient({...})`.
 *
 * @throws OptionsError for invalid options.
 */
export function httpTimeouts(options: HttpTimeoutsOptions = {}): {
  readonly requestHandler: NodeHttpHandler;
} {
  const o = parseOptions(httpTimeoutsOptionsSchema, options, 'httpTimeouts');
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: o.connectionTimeoutMs,
    // Until the response's headers arrive...
    requestTimeout: o.requestTimeoutMs,
    // ...and between two bytes after that: a body that stalls fails too.
    socketTimeout: o.requestTimeoutMs,
    // Without it the handler only logs a warning and keeps waiting.
    throwOnRequestTimeout: true,
  });
  made.set(requestHandler, o);
  return { requestHandler };
}

/**
 * The timeouts of a client's request handler as {@link httpTimeouts} options
 * (to build the same bounds elsewhere, e.g. on a worker thread): exact for a
 * handler made by {@link httpTimeouts}; for another `NodeHttpHandler`, what
 * its resolved config holds (resolved on its first request); `undefined`
 * when the handler bounds nothing.
 */
export function timeoutsOf(requestHandler: unknown): HttpTimeoutsOptions | undefined {
  if (typeof requestHandler !== 'object' || requestHandler === null) return undefined;
  const own = made.get(requestHandler);
  if (own !== undefined) return { ...own };
  const handler = requestHandler as { httpHandlerConfigs?: () => NodeHttpHandlerOptions };
  const c = typeof handler.httpHandlerConfigs === 'function' ? handler.httpHandlerConfigs() : {};
  const positive = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
  const connectionTimeoutMs = positive(c.connectionTimeout);
  const requestTimeoutMs = positive(c.requestTimeout) ?? positive(c.socketTimeout);
  if (connectionTimeoutMs === undefined && requestTimeoutMs === undefined) return undefined;
  return {
    ...(connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  };
}
