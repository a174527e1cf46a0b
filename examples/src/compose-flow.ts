/**
 * Composing your own flow from the public stages: an NDJSON body (an HTTP
 * request, a file…) → validate → join → aggregate → finalize → DynamoDB.
 * The README's "Compose your own flow" section is this file.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  aggregateDailyKpis,
  type ByteSource,
  type DeadLetterSink,
  finalizeKpis,
  joinSongs,
  type KpiItem,
  parseFile,
  pipeline,
  type RunSummary,
  type SongsTable,
  validateRows,
} from '@streamkpi/core';
import { type BatchWriteMetrics, writeDynamoDb } from '@streamkpi/dynamo-sink';

/** What {@link ndjsonToDynamoDb} needs. */
export interface NdjsonToDynamoDbOptions {
  readonly songs: SongsTable;
  readonly deadLetter: DeadLetterSink;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly signal?: AbortSignal;
}

/** Streams NDJSON listens into KPI items and writes them to a DynamoDB table. */
export async function ndjsonToDynamoDb(
  body: ByteSource,
  { songs, deadLetter, client, tableName, signal }: NdjsonToDynamoDbOptions,
): Promise<{ items: KpiItem[]; summary: RunSummary; written: BatchWriteMetrics }> {
  const source = { id: 'http://upload/streams.ndjson', key: 'streams.ndjson' };
  const run = signal === undefined ? {} : { signal };
  const { value: state, summary } = await pipeline(body)
    .through(parseFile({ source, dataset: 'streams' }), 'parse')
    .through(validateRows({ dataset: 'streams', deadLetter }))
    .through(joinSongs({ songs, deadLetter }))
    .to(aggregateDailyKpis({ timeZone: 'UTC' }))
    .run(run);
  const items = finalizeKpis(state);
  const { value: written } = await pipeline([items])
    .to(writeDynamoDb({ client, tableName }))
    .run(run);
  return { items, summary, written };
}
