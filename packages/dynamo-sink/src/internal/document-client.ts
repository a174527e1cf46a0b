import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const cache = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

/**
 * The document client this package uses on top of an injected low-level
 * client. It shares the client's config and middleware stack (no new
 * sockets), and pins the translation settings the exactness guarantees rely
 * on: reads wrap every number in `NumberValue` (never a JS float), writes
 * reject nothing silently. Never `destroy()` it: the caller owns the client.
 */
export function documentClientFor(client: DynamoDBClient): DynamoDBDocumentClient {
  let doc = cache.get(client);
  if (doc === undefined) {
    doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { convertClassInstanceToMap: false, removeUndefinedValues: false },
      unmarshallOptions: { wrapNumbers: true },
    });
    cache.set(client, doc);
  }
  return doc;
}
