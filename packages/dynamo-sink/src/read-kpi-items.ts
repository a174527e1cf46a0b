import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NumberValue, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClientFor } from './internal/document-client.js';
import type { StoredKpiItem } from './kpi-item.js';

/** Options of {@link readKpiItems}. */
export interface ReadKpiItemsOptions {
  /** Aborts the reads. */
  readonly signal?: AbortSignal;
}

function numberText(value: unknown): string {
  if (value instanceof NumberValue) return value.value;
  // Only reachable if the table holds a non-number where a number belongs.
  return String(value);
}

/** Pads a plain decimal string to at least `places` decimals, without rounding. */
function atLeastPlaces(s: string, places: number): string {
  const dot = s.indexOf('.');
  const have = dot === -1 ? 0 : s.length - dot - 1;
  if (have >= places) return s;
  return `${s}${dot === -1 ? '.' : ''}${'0'.repeat(places - have)}`;
}

function toStored(raw: Record<string, unknown>): StoredKpiItem {
  const songs = Array.isArray(raw.top_songs) ? (raw.top_songs as Record<string, unknown>[]) : [];
  const item: StoredKpiItem = {
    date: String(raw.date),
    track_genre: String(raw.track_genre),
    listen_count: numberText(raw.listen_count),
    unique_listeners: numberText(raw.unique_listeners),
    total_listening_time: numberText(raw.total_listening_time),
    avg_listening_time_per_user: atLeastPlaces(numberText(raw.avg_listening_time_per_user), 2),
    top_3_songs: String(raw.top_3_songs ?? ''),
    top_songs: songs.map((s) => ({
      track_id: String(s.track_id),
      track_name: String(s.track_name),
      listen_count: numberText(s.listen_count),
    })),
    top_5_genres: String(raw.top_5_genres ?? ''),
  };
  return {
    ...item,
    ...(raw.updated_at === undefined ? {} : { updated_at: String(raw.updated_at) }),
    ...(raw.version === undefined ? {} : { version: numberText(raw.version) }),
  };
}

/**
 * Reads KPI items back with every number as DynamoDB's exact decimal string
 * (read with `wrapNumbers`, never through a JS float), sorted by date then
 * genre. With `date`, one Query (`#d = :d`, `date` being a reserved word);
 * without, a full Scan. For tests, the demo and audits; paginates fully.
 *
 * DynamoDB normalises numbers (`"0.30"` is stored as `0.3`); the average is
 * padded back to 2 decimal places, which never changes its value.
 */
export async function readKpiItems(
  client: DynamoDBClient,
  tableName: string,
  date?: string,
  options: ReadKpiItemsOptions = {},
): Promise<StoredKpiItem[]> {
  const doc = documentClientFor(client);
  const send = options.signal === undefined ? {} : { abortSignal: options.signal };
  const out: StoredKpiItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page =
      date === undefined
        ? await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }), send)
        : await doc.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: '#d = :d',
              ExpressionAttributeNames: { '#d': 'date' },
              ExpressionAttributeValues: { ':d': date },
              ExclusiveStartKey: start,
            }),
            send,
          );
    for (const raw of page.Items ?? []) out.push(toStored(raw));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  out.sort((a, b) =>
    a.date === b.date
      ? a.track_genre < b.track_genre
        ? -1
        : a.track_genre > b.track_genre
          ? 1
          : 0
      : a.date < b.date
        ? -1
        : 1,
  );
  return out;
}
