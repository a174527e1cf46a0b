/**
 * A request that timed out (`httpTimeouts`), named by its operation and
 * target: the SDK's own `TimeoutError` says how long it waited, never for
 * what. Used by the runner's request tracking on the injected clients and by
 * the S3 worker threads' clients alike, so a timeout reads the same from
 * either side of the thread boundary.
 */

/** A request got no answer within the client's connection or request timeout. */
export class RequestTimeoutError extends Error {
  readonly code = 'REQUEST_TIMEOUT';
  /** The request: operation and target, e.g. `S3 GetObject s3://bucket/streams/a.csv`. */
  readonly request: string;
  constructor(request: string, options: { cause: unknown }) {
    super(`${request}: no answer in time (${(options.cause as Error).message})`, options);
    this.name = 'RequestTimeoutError';
    this.request = request;
  }
}

type Input = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const attr = (v: unknown): string | undefined => str((v as { S?: unknown } | undefined)?.S);

/**
 * One SDK request in words: `S3 GetObject s3://bucket/key` (a listing names
 * its prefix), `DynamoDB PutItem table pk` (the key's `pk` or `date`).
 */
export function describeRequest(
  service: string,
  command: string | undefined,
  input: Input,
): string {
  const op = (command ?? 'request').replace(/Command$/, '');
  if (service === 'S3') {
    const bucket = str(input.Bucket) ?? '';
    const key = str(input.Key) ?? str(input.Prefix) ?? '';
    return `S3 ${op} s3://${bucket}/${key}`;
  }
  const table = str(input.TableName) ?? '';
  const item = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  const pk = attr(item?.pk) ?? attr(item?.date);
  return `${service} ${op} ${table}${pk === undefined ? '' : ` ${pk}`}`.trimEnd();
}

/** The SDK's error for a connection or request that timed out. */
export function isTimeoutError(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
}
