/**
 * AWS clients for the CLI, configured from the standard SDK environment
 * (AWS_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB /
 * AWS_ENDPOINT_URL, the credentials chain), plus a counter of SDK retries
 * for the run summary.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { httpTimeouts } from '@streamkpi/s3-source';

/** Options of {@link createAwsClients}. */
export interface AwsClientsOptions {
  /** Path-style S3 URLs (`http://host/bucket/key`): s3rver, MinIO and most emulators need it. */
  readonly forcePathStyle?: boolean;
}

/** The clients and the retry counter they share. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  /** SDK-level retries so far (attempts beyond the first, over every call of both clients). */
  retries(): number;
  /** Destroys both clients (closes keep-alive sockets). */
  destroy(): void;
}

interface Metadata {
  readonly $metadata?: { readonly attempts?: number };
}

/**
 * Creates the S3 and DynamoDB clients. Nothing but the three settings below
 * is fixed here, so the same command runs against real AWS:
 *
 * - `forcePathStyle` only when asked (`--s3-force-path-style`).
 * - `requestChecksumCalculation` / `responseChecksumValidation`
 *   `'WHEN_REQUIRED'`: since 2025 the SDK defaults to `WHEN_SUPPORTED`,
 *   which sends streamed uploads as `aws-chunked` with trailing checksums
 *   (s3rver and several S3-compatible servers store the framing verbatim)
 *   and validates every GetObject body (a reported memory blow-up on
 *   multi-GB objects). S3 still checks what it requires (e.g. DeleteObjects),
 *   and the runner pins every read to the object's ETag.
 * - DynamoDB keeps the SDK's default retry strategy (standard, 3 attempts)
 *   for transient errors; the library adds its own bounded backoff for
 *   `UnprocessedItems` and throttling on top.
 * - Both clients bound every connection (5 s) and request (60 s without a
 *   byte): a stalled connection fails the attempt, retried as transient.
 */
export function createAwsClients(options: AwsClientsOptions = {}): AwsClients {
  const s3 = new S3Client({
    ...(options.forcePathStyle ? { forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...httpTimeouts(),
  });
  const dynamo = new DynamoDBClient({ ...httpTimeouts() });
  let retries = 0;
  const count = (m: Metadata | undefined) => {
    const attempts = m?.$metadata?.attempts;
    if (typeof attempts === 'number' && attempts > 1) retries += attempts - 1;
  };
  type Handler = (args: unknown) => Promise<{ readonly output: unknown }>;
  const middleware =
    (next: Handler): Handler =>
    async (args) => {
      try {
        const result = await next(args);
        count(result.output as Metadata);
        return result;
      } catch (error) {
        count(error as Metadata);
        throw error;
      }
    };
  // `initialize` wraps the retry middleware, so `$metadata.attempts` is final here.
  const where = { step: 'initialize', name: 'kpisCountRetries' } as const;
  // The stacks are typed per client; this middleware only reads `$metadata`.
  s3.middlewareStack.add(middleware as never, where);
  dynamo.middlewareStack.add(middleware as never, where);
  return {
    s3,
    dynamo,
    retries: () => retries,
    destroy: () => {
      s3.destroy();
      dynamo.destroy();
    },
  };
}

/** Runs `fn` with fresh {@link createAwsClients} clients and destroys them after. */
export async function withAwsClients<T>(
  options: AwsClientsOptions,
  fn: (clients: AwsClients) => Promise<T>,
): Promise<T> {
  const clients = createAwsClients(options);
  try {
    return await fn(clients);
  } finally {
    clients.destroy();
  }
}
