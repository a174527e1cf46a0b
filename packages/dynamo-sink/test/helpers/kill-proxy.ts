/**
 * A counting HTTP proxy for crash tests: one port in front of S3, one in
 * front of DynamoDB, one shared request counter. When request number
 * `killAt` arrives, `kill()` is called (the test SIGKILLs its child) either
 * before the request is forwarded (`before`: it never happened) or after the
 * upstream answered (`after`: it happened, the caller never learnt it).
 * Requests are forwarded byte for byte, headers (and so SigV4 signatures)
 * unchanged. Without `killAt` it only counts (and optionally serializes).
 */
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link startKillProxy}. */
export interface KillProxyOptions {
  readonly s3Target: string;
  readonly dynamoTarget: string;
  /** 1-based request number at which to kill; omit to count only. */
  readonly killAt?: number;
  /** Kill before forwarding request `killAt`, or after its response arrived. Default `before`. */
  readonly mode?: 'before' | 'after';
  readonly kill?: () => void;
  /**
   * Forward S3 requests one at a time (each until its response ended).
   * s3rver writes objects as several files without atomic renames, so
   * overlapping requests on one key can observe or leave torn objects — a
   * concurrent CopyObject and DeleteObject of the source can even destroy
   * the copy. S3 applies each request atomically; serializing restores that
   * model while workers still interleave request by request. Default false.
   */
  readonly serializeS3?: boolean;
  /**
   * Kill at the `nth` request (1-based) for which `match` holds, instead of
   * at a request number. The request body is buffered first so that
   * `match` can look at it (e.g. which DynamoDB record a PutItem writes).
   */
  readonly killOn?: { readonly match: (request: ProxiedRequest) => boolean; readonly nth: number };
  /**
   * Requests to accept and never answer (as a server that stalls): held
   * open until `close()`, listed in `held`. Only `method`, `kind` and `url`
   * are known to `hold` (`target` and `body` are empty).
   */
  readonly hold?: (request: ProxiedRequest) => boolean;
}

/** A request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly kind: 's3' | 'dynamodb';
  readonly url: string;
  /** `x-amz-target` (DynamoDB operation), `''` for S3. */
  readonly target: string;
  /** The body as text (only when `killOn` is set; `''` otherwise). */
  readonly body: string;
}

/** A running {@link startKillProxy}. */
export interface KillProxy {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  /** Requests seen so far (both ports). */
  readonly requests: number;
  /** `METHOD host-kind path` of the request that triggered the kill. */
  readonly killedAt: string | undefined;
  /** Requests seen so far for which `killOn.match` held. */
  readonly matched: number;
  /** `METHOD host-kind path target` of every request seen, in arrival order. */
  readonly log: readonly string[];
  /** `METHOD host-kind path` of every request held unanswered (see `hold`). */
  readonly held: readonly string[];
  close(): Promise<void>;
}

/** Starts both proxy ports on 127.0.0.1 (ephemeral). */
export async function startKillProxy(options: KillProxyOptions): Promise<KillProxy> {
  let requests = 0;
  let killedAt: string | undefined;
  let killed = false;
  let matched = 0;
  const log: string[] = [];
  const held: string[] = [];
  const mode = options.mode ?? 'before';

  let queue: Promise<void> = Promise.resolve();
  // Upstream requests not finished yet: close() waits for them, so that a
  // request of a killed child never overlaps the next run.
  let inFlight = 0;
  const drained: (() => void)[] = [];
  const serve = (target: string, kind: 's3' | 'dynamodb', serialize: boolean): Server => {
    const upstream = new URL(target);
    const server = createServer((req, res) => {
      if (!serialize) {
        handle(req, res);
        return;
      }
      // Heard from the start: a client killed while its request waits here
      // closes the response before its turn, and the queue must move on.
      const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
      queue = queue.then(() => {
        if (!res.destroyed && !req.socket.destroyed) handle(req, res);
        return closed;
      });
    });
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const method = req.method ?? '';
      const url = req.url ?? '';
      if (options.hold?.({ method, kind, url, target: '', body: '' }) === true) {
        held.push(`${method} ${kind} ${url}`);
        req.resume();
        return;
      }
      if (options.killOn === undefined) {
        forward(req, res, undefined);
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.once('end', () => forward(req, res, Buffer.concat(chunks)));
    };
    const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void => {
      if (killed) {
        req.socket.destroy();
        return;
      }
      const n = ++requests;
      const targetHeader = String(req.headers['x-amz-target'] ?? '');
      const what = `${req.method} ${kind} ${req.url} ${targetHeader}`;
      log.push(what);
      let hit = n === options.killAt;
      if (options.killOn !== undefined && body !== undefined) {
        const seen: ProxiedRequest = {
          method: req.method ?? '',
          kind,
          url: req.url ?? '',
          target: targetHeader,
          body: body.toString('utf8'),
        };
        if (options.killOn.match(seen)) hit = ++matched === options.killOn.nth;
      }
      if (hit && mode === 'before') {
        killed = true;
        killedAt = what;
        options.kill?.();
        req.socket.destroy();
        return;
      }
      inFlight++;
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (ures) => {
          if (hit) {
            ures.resume();
            ures.once('end', () => {
              killed = true;
              killedAt = what;
              options.kill?.();
              res.destroy();
            });
            return;
          }
          res.writeHead(ures.statusCode ?? 502, ures.headers);
          ures.pipe(res);
        },
      );
      up.once('close', () => {
        inFlight--;
        if (inFlight === 0) for (const f of drained.splice(0)) f();
      });
      up.on('error', () => res.destroy());
      req.on('error', () => up.destroy());
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      if (body === undefined) req.pipe(up);
      else up.end(body);
    };
    return server;
  };

  const listen = (server: Server) =>
    new Promise<string>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      );
    });
  const s3Server = serve(options.s3Target, 's3', options.serializeS3 === true);
  const dynamoServer = serve(options.dynamoTarget, 'dynamodb', false);
  const s3Endpoint = await listen(s3Server);
  const dynamoEndpoint = await listen(dynamoServer);
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    s3Endpoint,
    dynamoEndpoint,
    get requests() {
      return requests;
    },
    get killedAt() {
      return killedAt;
    },
    get matched() {
      return matched;
    },
    log,
    held,
    async close() {
      await Promise.all([close(s3Server), close(dynamoServer)]);
      if (inFlight > 0) await new Promise<void>((resolve) => drained.push(resolve));
    },
  };
}
