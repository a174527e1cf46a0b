import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/** The error `__type` prefixes real DynamoDB uses. */
const ERROR_NAMESPACE: Readonly<Record<string, string>> = {
  ThrottlingException: 'com.amazon.coral.availability',
};

/** Messages real DynamoDB sends with its throttling errors. */
const ERROR_MESSAGE: Readonly<Record<string, string>> = {
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  RequestLimitExceeded:
    'Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase',
};

/** What the proxy does with one request. */
export type Fault =
  /** Forward unchanged. */
  | { readonly kind: 'pass' }
  /**
   * Answer with a DynamoDB error (`{"__type": "…#<errorType>", "message": …}`)
   * without forwarding; default HTTP status 400.
   */
  | {
      readonly kind: 'error';
      readonly errorType: string;
      readonly status?: number;
      readonly message?: string;
    }
  /**
   * BatchWriteItem only: withhold the last `count` write requests from
   * dynalite and return them in `UnprocessedItems`, as DynamoDB does when it
   * processes part of a batch. Withholding every request answers 200 with
   * all of them unprocessed.
   */
  | { readonly kind: 'unprocessed'; readonly count: number };

/** One request seen by the proxy. */
export interface FaultCall {
  /** The operation from `X-Amz-Target`, e.g. `BatchWriteItem`. */
  readonly operation: string;
  /** 0-based index among requests of this operation. */
  readonly index: number;
  /** The table the request names (`TableName`, else the first of `RequestItems`), if any. */
  readonly table?: string;
  /** The fault applied. */
  readonly fault: Fault['kind'];
  /** BatchWriteItem: write requests in the call. */
  readonly items?: number;
  /** BatchWriteItem with `unprocessed`: how many were returned unprocessed. */
  readonly withheld?: number;
}

/**
 * Which fault to apply: per operation, a list consumed one entry per request
 * (then `pass`); or a function of the call.
 */
export type FaultScript =
  | Readonly<Record<string, readonly Fault[]>>
  | ((call: { readonly operation: string; readonly index: number }) => Fault);

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The dynalite (or DynamoDB-compatible) endpoint to forward to, e.g. `http://127.0.0.1:4567`. */
  readonly target: string;
  /** Faults to inject. Default: none. */
  readonly script?: FaultScript;
  /** Called for every request before it is answered (e.g. to abort a signal after N calls). */
  readonly onCall?: (call: FaultCall) => void;
}

/** A running fault-injecting proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point a client here. */
  readonly endpoint: string;
  /** Every request seen, in arrival order. */
  readonly calls: readonly FaultCall[];
  /** Requests seen for one operation. */
  count(operation: string): number;
  /** Replaces the script; operation counters keep running. */
  setScript(script: FaultScript | undefined): void;
  /** Stops the proxy. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function requestId(): string {
  return randomBytes(26).toString('base64url').toUpperCase().slice(0, 52);
}

/** Sends a JSON body the way DynamoDB does (content type, CRC32, request id). */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': bytes.length,
    'x-amz-crc32': String(crc32(bytes)),
    'x-amzn-requestid': requestId(),
  });
  res.end(bytes);
}

interface Forwarded {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const out = request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (res) => {
        readBody(res).then(
          (b) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: b }),
          reject,
        );
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** The table a DynamoDB JSON request names, if any (the body is the SDK's, so it parses). */
function tableOf(body: Buffer): string | undefined {
  try {
    const input = JSON.parse(body.toString('utf8')) as {
      TableName?: unknown;
      RequestItems?: Record<string, unknown>;
    };
    if (typeof input.TableName === 'string') return input.TableName;
    return Object.keys(input.RequestItems ?? {})[0];
  } catch {
    return undefined;
  }
}

interface WriteRequest {
  readonly PutRequest?: unknown;
  readonly DeleteRequest?: unknown;
}

/**
 * Starts an HTTP proxy on 127.0.0.1 (ephemeral port) in front of dynalite
 * that injects faults exactly as real DynamoDB would express them on the
 * wire, so the real SDK parses them into its real exception classes.
 * Signatures are not re-computed: dynalite does not verify them.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  let script = options.script;
  const calls: FaultCall[] = [];
  const counters = new Map<string, number>();

  function pick(operation: string, index: number): Fault {
    if (script === undefined) return { kind: 'pass' };
    if (typeof script === 'function') return script({ operation, index });
    return script[operation]?.[index] ?? { kind: 'pass' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const operation = targetHeader.slice(targetHeader.indexOf('.') + 1);
    const index = counters.get(operation) ?? 0;
    counters.set(operation, index + 1);
    const fault = pick(operation, index);
    const table = tableOf(body);
    const named = table === undefined ? {} : { table };

    if (fault.kind === 'error') {
      const call: FaultCall = { operation, index, ...named, fault: fault.kind };
      calls.push(call);
      options.onCall?.(call);
      const namespace = ERROR_NAMESPACE[fault.errorType] ?? 'com.amazonaws.dynamodb.v20120810';
      sendJson(res, fault.status ?? 400, {
        __type: `${namespace}#${fault.errorType}`,
        message: fault.message ?? ERROR_MESSAGE[fault.errorType] ?? fault.errorType,
      });
      return;
    }

    if (fault.kind === 'unprocessed' && operation === 'BatchWriteItem') {
      const input = JSON.parse(body.toString('utf8')) as {
        RequestItems: Record<string, WriteRequest[]>;
      };
      const [table, requests] = Object.entries(input.RequestItems)[0] ?? ['', []];
      const keep = Math.max(0, requests.length - fault.count);
      const withheld = requests.slice(keep);
      const call: FaultCall = {
        operation,
        index,
        ...named,
        fault: fault.kind,
        items: requests.length,
        withheld: withheld.length,
      };
      calls.push(call);
      options.onCall?.(call);
      const unprocessed = withheld.length > 0 ? { [table]: withheld } : {};
      if (keep === 0) {
        sendJson(res, 200, { UnprocessedItems: unprocessed });
        return;
      }
      input.RequestItems[table] = requests.slice(0, keep);
      const answer = await forward(target, req, Buffer.from(JSON.stringify(input)));
      if (answer.status !== 200) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
      const output = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
      const already = (output.UnprocessedItems ?? {}) as Record<string, WriteRequest[]>;
      const merged = { ...already, [table]: [...(already[table] ?? []), ...withheld] };
      sendJson(res, 200, { ...output, UnprocessedItems: withheld.length > 0 ? merged : already });
      return;
    }

    let items: number | undefined;
    if (operation === 'BatchWriteItem') {
      const input = JSON.parse(body.toString('utf8')) as {
        RequestItems?: Record<string, WriteRequest[]>;
      };
      items = Object.values(input.RequestItems ?? {}).reduce((n, r) => n + r.length, 0);
    }
    const call: FaultCall = {
      operation,
      index,
      ...named,
      fault: 'pass',
      ...(items === undefined ? {} : { items }),
    };
    calls.push(call);
    options.onCall?.(call);
    const answer = await forward(target, req, body);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: `fault proxy: ${error instanceof Error ? error.message : String(error)}`,
        });
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    count: (operation) => calls.filter((c) => c.operation === operation).length,
    setScript(next) {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
