/**
 * A fault-injecting HTTP proxy in front of an S3 emulator, for tests: cuts
 * response bodies mid-stream or answers with S3 errors, per request.
 * Exported by `@streamkpi/s3-source/testing`.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type S3Fault =
  /** Forward, but cut the connection after this many response-body bytes. */
  | { readonly cutAfter: number }
  /** Answer with a real S3 XML error instead of forwarding. */
  | { readonly status: number; readonly code: string };

/** A request as the proxy saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
  readonly ifMatch: string | undefined;
  /** `x-amz-copy-source` of a CopyObject (`bucket/key`, URL-encoded). */
  readonly copySource: string | undefined;
}

/** Decides the fault for a request; may do async work (e.g. replace the object) first. */
export type FaultPlan = (
  request: SeenRequest,
) => S3Fault | undefined | Promise<S3Fault | undefined>;

/** A running fault-injecting HTTP proxy in front of s3rver. */
export interface FaultProxy {
  readonly endpoint: string;
  readonly requests: SeenRequest[];
  plan: FaultPlan;
  close(): Promise<void>;
}

/** Start a proxy on 127.0.0.1 forwarding to `target`, injecting faults per `plan`. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = {
    endpoint: '',
    requests: [],
    plan: () => undefined,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      range: header(req, 'range'),
      ifMatch: header(req, 'if-match'),
      copySource: header(req, 'x-amz-copy-source'),
    };
    proxy.requests.push(seen);
    const fault = await proxy.plan(seen);
    if (fault !== undefined && 'status' in fault) {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>injected</Message><RequestId>proxy</RequestId></Error>`;
      res.writeHead(fault.status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (fault === undefined) {
          up.pipe(res);
          return;
        }
        let left = fault.cutAfter;
        up.on('data', (chunk: Buffer) => {
          if (left <= 0) return;
          const part = chunk.subarray(0, left);
          left -= part.length;
          res.write(part);
          if (left <= 0) {
            up.destroy();
            // Flush what was written, then drop the connection mid-body.
            res.socket?.end(() => res.socket?.destroy());
            setImmediate(() => res.socket?.destroy());
          }
        });
        up.on('end', () => res.end());
      },
    );
    out.on('error', (error) => res.destroy(error));
    req.pipe(out);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return proxy;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Fault plan: cut the first `times` full (non-ranged) or ranged GETs of `key` after `bytes` bytes. */
export function cutGets(key: string, bytes: number, times: number): FaultPlan {
  let left = times;
  return (req) => {
    if (req.method !== 'GET' || !decodeURIComponent(req.url).includes(key) || left <= 0) {
      return undefined;
    }
    if (req.url.includes('list-type=')) return undefined;
    left -= 1;
    return { cutAfter: bytes };
  };
}

/** Whether `req` is a GET of the object `key` itself (its path ends with `/key`; not a listing). */
export function isGetOf(
  req: { readonly method: string; readonly url: string },
  key: string,
): boolean {
  return (
    req.method === 'GET' && decodeURIComponent(req.url.split('?')[0] ?? '').endsWith(`/${key}`)
  );
}

/** Fault plan: answer the first `times` GETs of the object `key` (all, by default) with 503 SlowDown. */
export function slowDownGets(key: string, times = Number.POSITIVE_INFINITY): FaultPlan {
  let left = times;
  return (req) => {
    if (!isGetOf(req, key) || left <= 0) return undefined;
    left -= 1;
    return { status: 503, code: 'SlowDown' };
  };
}
