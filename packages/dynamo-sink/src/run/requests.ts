/**
 * The SDK requests of a run, seen through a middleware on the injected
 * clients (added for the run, removed after it): which are open (for the
 * watchdog's report), each completion (progress), and a request that timed
 * out (`httpTimeouts`) rethrown as a {@link RequestTimeoutError} naming it.
 */
import { randomUUID } from 'node:crypto';

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

/** A client whose middleware stack the run may add to (S3Client, DynamoDBClient). */
export interface TrackedClient {
  readonly middlewareStack: {
    add(middleware: never, options: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
}

/** The open requests of a run and how many completed. */
export interface RunRequests {
  /** The requests sent and not answered, oldest first. */
  open(): string[];
  /** Removes the middleware from the clients. */
  stop(): void;
}

type Input = Record<string, unknown>;
type Handler = (args: { readonly input: Input }) => Promise<unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const attr = (v: unknown): string | undefined => str((v as { S?: unknown } | undefined)?.S);

/** `S3 GetObject s3://bucket/key`, `DynamoDB PutItem table pk`. */
function describeRequest(service: string, command: string | undefined, input: Input): string {
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

/**
 * Tracks the requests of `clients` (`service` names each in reports);
 * `onDone` hears each completion that shows progress — claim renewals tick
 * on a timer whatever the run does, so they do not count.
 */
export function trackRequests(
  clients: readonly { readonly service: string; readonly client: TrackedClient }[],
  onDone: () => void,
): RunRequests {
  const name = `streamkpiRunRequests-${randomUUID()}`;
  const open = new Map<number, string>();
  let next = 0;
  for (const { service, client } of clients) {
    const middleware =
      (next_: Handler, context: { readonly commandName?: string }) =>
      async (args: { readonly input: Input }) => {
        const request = describeRequest(service, context.commandName, args.input ?? {});
        const id = next++;
        open.set(id, request);
        try {
          return await next_(args);
        } catch (error) {
          if ((error as { name?: unknown }).name === 'TimeoutError') {
            throw new RequestTimeoutError(request, { cause: error });
          }
          throw error;
        } finally {
          open.delete(id);
          if (!request.includes('|claim|')) onDone();
        }
      };
    client.middlewareStack.add(middleware as never, { step: 'initialize', name });
  }
  return {
    open: () => [...open.values()],
    stop() {
      for (const { client } of clients) client.middlewareStack.remove(name);
    },
  };
}
