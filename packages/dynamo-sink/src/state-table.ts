/**
 * The small DynamoDB table of the commit protocol: one head record per date
 * (which snapshot is current, compare-and-swap on its version) and one claim
 * record per stream object being read (which worker holds it, until when).
 * Single-item conditional writes only: no transactions (dynalite has none).
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { dynamoClientSchema, parseOptions, tableNameSchema } from './internal/options.js';
import { sendOptions } from './internal/send-options.js';

/** Options of {@link createStateTable}. */
export const stateTableOptionsSchema = z.object({
  /** Injected low-level DynamoDB client. */
  client: dynamoClientSchema,
  /** The state table (partition key `pk`, S). */
  tableName: tableNameSchema,
  /**
   * Names the state this table's records belong to (e.g. the S3 location of
   * the partials, `s3://bucket/state/`), so several pipelines can share one table.
   */
  scope: z.string().min(1),
});

/** Options of {@link createStateTable}. */
export type StateTableOptions = z.input<typeof stateTableOptionsSchema>;

/** The head record of a date: its current snapshot. */
export interface DateHead {
  readonly date: string;
  /** Partials merged into `snapshot`: the date's version (monotonic). */
  readonly version: number;
  /** S3 key of the snapshot object this version points at. */
  readonly snapshot: string;
  /** Highest version whose KPI items are known to be all written. */
  readonly written: number;
  /** When `version` was committed (ISO). */
  readonly committedAt: string;
}

/** Head and claim records of one scope. */
export interface StateTable {
  readonly tableName: string;
  /** The date's head (strongly consistent read), or undefined before its first commit. */
  getHead(date: string, signal?: AbortSignal): Promise<DateHead | undefined>;
  /**
   * Replaces the head if it is still at `expected` (undefined: no head yet).
   * Resolves false when another worker moved it first.
   */
  swapHead(head: DateHead, expected: number | undefined, signal?: AbortSignal): Promise<boolean>;
  /** Records that every item of `version` is written (no-op when a later one already is). */
  markWritten(date: string, version: number, signal?: AbortSignal): Promise<void>;
  /**
   * Claims `key` for `owner` until `now + ttlMs`: succeeds when nobody holds
   * it, the holder's claim expired, or `owner` holds it already.
   */
  claim(key: string, owner: string, ttlMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Drops `owner`'s claim of `key` (no-op when someone else holds it now). */
  release(key: string, owner: string, signal?: AbortSignal): Promise<void>;
}

/**
 * The claim records' expiry in epoch **seconds** (DynamoDB TTL's unit; the
 * protocol itself compares `expiresAt`, in ms). Enable the table's TTL on
 * this attribute to have DynamoDB delete claims left by crashed workers:
 * it deletes an item only after this time, when the claim has expired and a
 * missing claim means the same as an expired one. Heads have no expiry.
 */
export const STATE_TABLE_TTL_ATTRIBUTE = 'expiresAtSeconds';

/** The conditional writes of the protocol. */
type ConditionalWrite = PutItemCommand | UpdateItemCommand | DeleteItemCommand;

const isConditionFailed = (error: unknown) =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * The condition "`owner` holds the claim", or else `otherwise` (with its
 * `values`): the part of a claim write's request that says when it applies.
 */
function heldBy(owner: string, otherwise?: string, values: Record<string, AttributeValue> = {}) {
  return {
    ConditionExpression: otherwise === undefined ? '#o = :me' : `${otherwise} OR #o = :me`,
    ExpressionAttributeNames: { '#o': 'owner' },
    ExpressionAttributeValues: { ...values, ':me': { S: owner } },
  };
}

/** Sends a conditional write: true when it was written, false when its condition failed. */
async function conditionally(
  client: DynamoDBClient,
  command: ConditionalWrite,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  // `send`'s overloads take one command type at a time; it takes each of these.
  const send = client.send.bind(client) as (
    command: ConditionalWrite,
    options: { abortSignal?: AbortSignal },
  ) => Promise<unknown>;
  try {
    await send(command, sendOptions(signal));
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Creates a {@link StateTable} over an injected client (no request is made here). */
export function createStateTable(options: StateTableOptions): StateTable {
  const { client, tableName, scope } = parseOptions(
    stateTableOptionsSchema,
    options,
    'createStateTable',
  );
  const headKey = (date: string) => ({ pk: { S: `${scope}|head|${date}` } });
  const claimKey = (key: string) => ({ pk: { S: `${scope}|claim|${key}` } });
  /** Sends `Command` with `input` to this table, conditionally. */
  const write = <I extends { TableName: string | undefined }>(
    Command: new (input: I) => ConditionalWrite,
    input: Omit<I, 'TableName'>,
    signal: AbortSignal | undefined,
  ) => conditionally(client, new Command({ ...input, TableName: tableName } as I), signal);

  return {
    tableName,

    async getHead(date, signal) {
      const out = await client.send(
        new GetItemCommand({ TableName: tableName, Key: headKey(date), ConsistentRead: true }),
        sendOptions(signal),
      );
      const item = out.Item;
      if (item === undefined) return undefined;
      return {
        date,
        version: Number(item.version?.N ?? '0'),
        snapshot: item.snapshot?.S ?? '',
        written: Number(item.written?.N ?? '0'),
        committedAt: item.committedAt?.S ?? '',
      };
    },

    async swapHead(head, expected, signal) {
      return write(
        PutItemCommand,
        {
          Item: {
            ...headKey(head.date),
            version: { N: String(head.version) },
            snapshot: { S: head.snapshot },
            written: { N: String(head.written) },
            committedAt: { S: head.committedAt },
          },
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#v = :old',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':old': { N: String(expected) } },
              }),
        },
        signal,
      );
    },

    async markWritten(date, version, signal) {
      await write(
        UpdateItemCommand,
        {
          Key: headKey(date),
          UpdateExpression: 'SET written = :w',
          ConditionExpression: 'attribute_exists(pk) AND written < :w',
          ExpressionAttributeValues: { ':w': { N: String(version) } },
        },
        signal,
      );
    },

    async claim(key, owner, ttlMs, signal) {
      const now = Date.now();
      const expiresAt = now + ttlMs;
      return write(
        PutItemCommand,
        {
          Item: {
            ...claimKey(key),
            owner: { S: owner },
            expiresAt: { N: String(expiresAt) },
            [STATE_TABLE_TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAt / 1000)) },
          },
          ...heldBy(owner, 'attribute_not_exists(pk) OR expiresAt < :now', {
            ':now': { N: String(now) },
          }),
        },
        signal,
      );
    },

    async release(key, owner, signal) {
      await write(DeleteItemCommand, { Key: claimKey(key), ...heldBy(owner) }, signal);
    },
  };
}
