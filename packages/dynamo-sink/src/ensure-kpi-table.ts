import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { TableSchemaError } from './errors.js';
import {
  dynamoClientSchema,
  parseOptions,
  signalSchema,
  tableNameSchema,
} from './internal/options.js';
import { sleep } from './internal/retry.js';
import { sendOptions } from './internal/send-options.js';

/** Options of {@link ensureKpiTable}. */
export const ensureKpiTableOptionsSchema = z.object({
  /** Injected low-level DynamoDB client. */
  client: dynamoClientSchema,
  /** Table name. */
  tableName: tableNameSchema,
  /** How long to wait for the table to become ACTIVE, in ms. Default 60000. */
  waitTimeoutMs: z.number().int().min(0).max(3_600_000).default(60_000),
  /**
   * Longest delay between DescribeTable polls while waiting, in ms: the
   * first poll comes after at most 25 ms, each next delay doubles up to
   * this one (a table that is ACTIVE at once is seen at once). Default 250.
   */
  pollIntervalMs: z.number().int().min(1).max(60_000).default(250),
  /** Aborts the creation or the wait. */
  signal: signalSchema.optional(),
});

/** Options of {@link ensureKpiTable}. */
export type EnsureKpiTableOptions = z.input<typeof ensureKpiTableOptionsSchema>;

/** What {@link ensureKpiTable} did. */
export interface EnsureKpiTableResult {
  /** True when this call created the table. */
  readonly created: boolean;
  /** DescribeTable polls spent waiting for ACTIVE. */
  readonly polls: number;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

async function describe(
  client: DynamoDBClient,
  tableName: string,
  signal: AbortSignal | undefined,
): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(
      new DescribeTableCommand({ TableName: tableName }),
      sendOptions(signal),
    );
    return out.Table;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** A key attribute of a table: name (type S) and role. */
interface KeyPart {
  readonly name: string;
  readonly role: 'HASH' | 'RANGE';
}

const KPI_KEY: readonly KeyPart[] = [
  { name: 'date', role: 'HASH' },
  { name: 'track_genre', role: 'RANGE' },
];
const STATE_KEY: readonly KeyPart[] = [{ name: 'pk', role: 'HASH' }];

/** Throws TABLE_SCHEMA_MISMATCH unless the key schema is `key` (every attribute S). */
function verifyKeySchema(
  tableName: string,
  table: TableDescription,
  key: readonly KeyPart[],
): void {
  const keys = table.KeySchema ?? [];
  const types = new Map(
    (table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
  );
  const actual = keys.map((k) => `${k.AttributeName} ${types.get(k.AttributeName)} ${k.KeyType}`);
  const expected = key.map((k) => `${k.name} S ${k.role}`);
  if (actual.length !== expected.length || actual.some((a, i) => a !== expected[i])) {
    throw new TableSchemaError(
      'TABLE_SCHEMA_MISMATCH',
      tableName,
      `Table ${tableName} exists with key schema [${actual.join(', ')}]; expected [${expected.join(', ')}]. ` +
        'Use another table name or migrate the table.',
    );
  }
}

/**
 * Creates the KPI table if it is missing (partition key `date` S, sort key
 * `track_genre` S, on-demand billing), waits until it is ACTIVE, and checks
 * the key schema of a table that already exists.
 *
 * Safe to call from several workers at once: losing the creation race is
 * not an error. Throws {@link TableSchemaError} with code
 * `TABLE_SCHEMA_MISMATCH` when the existing key schema differs, or
 * `TABLE_NOT_ACTIVE` when the table is not ACTIVE within `waitTimeoutMs`.
 */
export async function ensureKpiTable(
  options: EnsureKpiTableOptions,
): Promise<EnsureKpiTableResult> {
  return ensureTable(parseOptions(ensureKpiTableOptionsSchema, options, 'ensureKpiTable'), KPI_KEY);
}

/**
 * {@link ensureKpiTable} for the protocol's state table (`createStateTable`):
 * partition key `pk` (S), no sort key, on-demand billing. Same options,
 * races and errors.
 */
export async function ensureStateTable(
  options: EnsureKpiTableOptions,
): Promise<EnsureKpiTableResult> {
  return ensureTable(
    parseOptions(ensureKpiTableOptionsSchema, options, 'ensureStateTable'),
    STATE_KEY,
  );
}

/** Delay before the first DescribeTable poll of a table that is not ACTIVE yet. */
const FIRST_POLL_MS = 25;

async function ensureTable(
  o: z.output<typeof ensureKpiTableOptionsSchema>,
  key: readonly KeyPart[],
): Promise<EnsureKpiTableResult> {
  const { client, tableName, waitTimeoutMs, pollIntervalMs, signal } = o;
  let created = false;
  let table = await describe(client, tableName, signal);
  if (table === undefined) {
    try {
      const out = await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: key.map((k) => ({ AttributeName: k.name, AttributeType: 'S' })),
          KeySchema: key.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
        }),
        sendOptions(signal),
      );
      created = true;
      table = out.TableDescription;
    } catch (error) {
      // Another worker created it between our DescribeTable and CreateTable.
      if (errorName(error) !== 'ResourceInUseException') throw error;
      table = await describe(client, tableName, signal);
    }
  }
  if (table !== undefined) verifyKeySchema(tableName, table, key);

  const deadline = Date.now() + waitTimeoutMs;
  let polls = 0;
  while (table?.TableStatus !== 'ACTIVE') {
    if (table?.TableStatus === 'DELETING' || Date.now() >= deadline) {
      throw new TableSchemaError(
        'TABLE_NOT_ACTIVE',
        tableName,
        `Table ${tableName} is ${table?.TableStatus ?? 'missing'}, not ACTIVE` +
          (table?.TableStatus === 'DELETING' ? '' : ` after ${waitTimeoutMs} ms`),
      );
    }
    await sleep(Math.min(pollIntervalMs, FIRST_POLL_MS * 2 ** polls), signal);
    polls++;
    table = await describe(client, tableName, signal);
    if (table !== undefined) verifyKeySchema(tableName, table, key);
  }
  return { created, polls };
}
