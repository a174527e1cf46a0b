/**
 * Test helpers: an in-process dynalite and a fault-injecting proxy.
 * Import from `@streamkpi/dynamo-sink/testing`; needs the optional peer
 * dependency `dynalite`.
 */
/// <reference path="./internal/dynalite.d.ts" />
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';

export type {
  Fault,
  FaultCall,
  FaultProxy,
  FaultProxyOptions,
  FaultScript,
} from './internal/fault-proxy.js';
export { startFaultProxy } from './internal/fault-proxy.js';

/** Options of {@link startDynalite}. */
export interface StartDynaliteOptions {
  /** Milliseconds new tables stay CREATING. Default 0. */
  readonly createTableMs?: number;
}

/** A running in-memory dynalite. */
export interface DynaliteHandle {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /**
   * A new low-level client for `endpoint` (or another, e.g. a fault proxy's),
   * with `maxAttempts: 1` so the SDK's own retries do not hide the
   * library's; destroyed by `close()`.
   */
  client(config?: DynamoDBClientConfig): DynamoDBClient;
  /** A document client with `wrapNumbers` on reads, over a new `client()`. */
  documentClient(): DynamoDBDocumentClient;
  /** Destroys the clients made here and stops dynalite. */
  close(): Promise<void>;
}

/** Config for a test client of a local endpoint: fixed region, dummy credentials, no SDK retries. */
export function testClientConfig(endpoint: string): DynamoDBClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}

/** Starts dynalite in memory on 127.0.0.1 with an ephemeral port. */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<DynaliteHandle> {
  const server: Server = dynalite({
    createTableMs: options.createTableMs ?? 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];

  function client(config: DynamoDBClientConfig = {}): DynamoDBClient {
    const c = new DynamoDBClient({ ...testClientConfig(endpoint), ...config });
    clients.push(c);
    return c;
  }

  return {
    endpoint,
    client,
    documentClient: () =>
      DynamoDBDocumentClient.from(client(), { unmarshallOptions: { wrapNumbers: true } }),
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
