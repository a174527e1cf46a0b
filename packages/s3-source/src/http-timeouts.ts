/**
 * Connection and request timeouts for AWS SDK v3 clients (S3 and DynamoDB
 * alike): without them a connection that is accepted and never answered
 * leaves a call, and so a run, waiting forever. A timed-out attempt is a
 * transient error the SDK's retry strategy retries like any other.
 * Built on the SDK's own `NodeHttpHandler` (`@smithy/node-http-handler`).
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { z } from 'zod';
import { parseOptions } from './internal/s3-util.js';

/** Options of {@link httpTimeouts}. */
export const httpTimeoutsOptionsSchema = z.object({
  /** Milliseconds to establish a connection. Default 5,000. */
  connectionTimeoutMs: z.number().int().min(1).default(5_000),
  /** Milliseconds a request may go without a byte from the server. Default 60,000. */
  requestTimeoutMs: z.number().int().min(1).default(60_000),
});

/** Options of {@link httpTimeouts}. */
export type HttpTimeoutsOptions = z.input<typeof httpTimeoutsOptionsSchema>;

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
  return {
    requestHandler: new NodeHttpHandler({
      connectionTimeout: o.connectionTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      // Without it the handler only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
    }),
  };
}
