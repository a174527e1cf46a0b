import { after, before } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureKpiTable } from '../../src/index.js';
import {
  type DynaliteHandle,
  type FaultProxy,
  type FaultProxyOptions,
  startDynalite,
  startFaultProxy,
} from '../../src/testing.js';

/** One dynalite per test file, a fresh table per test, proxies closed at the end. */
export interface DynaliteEnv {
  readonly db: DynaliteHandle;
  /** A direct client (no faults). */
  readonly client: DynamoDBClient;
  /** Creates a fresh KPI table with a unique name. */
  table(): Promise<string>;
  /** A fault proxy in front of dynalite and a client that talks through it. */
  proxy(
    options?: Omit<FaultProxyOptions, 'target'>,
  ): Promise<{ proxy: FaultProxy; client: DynamoDBClient }>;
}

/** Registers before/after hooks and returns the environment (usable inside tests). */
export function useDynalite(): DynaliteEnv {
  let db: DynaliteHandle | undefined;
  let client: DynamoDBClient | undefined;
  const proxies: FaultProxy[] = [];
  let tables = 0;
  before(async () => {
    db = await startDynalite();
    client = db.client();
  });
  after(async () => {
    for (const p of proxies) await p.close();
    await db?.close();
  });
  return {
    get db() {
      if (db === undefined) throw new Error('dynalite not started');
      return db;
    },
    get client() {
      if (client === undefined) throw new Error('dynalite not started');
      return client;
    },
    async table() {
      tables++;
      const tableName = `kpis-${tables}`;
      await ensureKpiTable({ client: this.client, tableName, pollIntervalMs: 5 });
      return tableName;
    },
    async proxy(options = {}) {
      const proxy = await startFaultProxy({ target: this.db.endpoint, ...options });
      proxies.push(proxy);
      return { proxy, client: this.db.client({ endpoint: proxy.endpoint }) };
    },
  };
}
