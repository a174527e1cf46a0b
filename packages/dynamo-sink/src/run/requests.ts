/**
 * The SDK requests of a run, seen through a middleware on the injected
 * clients (added for the run, removed after it): which are open (for the
 * watchdog's report), each completion (progress), and a request that timed
 * out (`httpTimeouts`) rethrown as a {@link RequestTimeoutError} naming it.
 */
import { randomUUID } from 'node:crypto';
import { describeRequest, isTimeoutError, RequestTimeoutError } from '@streamkpi/s3-source';

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
          if (isTimeoutError(error)) {
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
