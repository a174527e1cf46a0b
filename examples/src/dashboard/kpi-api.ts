/**
 * The dashboard's KPI endpoints over the DynamoDB table: the dates present,
 * one day's genres (exactly `readKpiItems` for that date) and listens per
 * day for chosen genres. Every number stays DynamoDB's exact decimal string.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, NumberValue, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readKpiItems, type StoredKpiItem } from '@streamkpi/dynamo-sink';
import { z } from 'zod';
import { DashboardApiError } from './http.js';

/** One date of the table, as `GET /api/dates` lists it. */
export interface KpiDate {
  readonly date: string;
  /** Genres (items) on that date. */
  readonly genres: number;
  /** Sum of `listen_count` over the date's genres. */
  readonly listens: string;
  /** Latest `updated_at` of the date's items: when the date was last committed. */
  readonly lastCommit: string | null;
}

/** `GET /api/kpis?date=D`. */
export interface KpiDay {
  readonly date: string;
  /** The date's items, most listens first, ties by genre (code-point order). */
  readonly genres: readonly StoredKpiItem[];
  /** `top_5_genres` of the date, split. */
  readonly top5Genres: readonly string[];
}

/** `GET /api/trend?genres=a,b`: one series per genre, aligned with `dates` (null: no item). */
export interface KpiTrend {
  readonly dates: readonly string[];
  readonly series: readonly { readonly genre: string; readonly listens: (string | null)[] }[];
}

/** Most genres one trend request may ask for. */
export const MAX_TREND_GENRES = 12;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** `date=YYYY-MM-DD`, a real calendar date. */
export const dateQuerySchema = z
  .string({ message: 'Expected a query parameter date=YYYY-MM-DD' })
  .refine(isCalendarDate, {
    error: (issue) =>
      `Expected date=YYYY-MM-DD, a calendar date such as 2024-06-25, got "${String(issue.input)}"`,
  });

/** `genres=a,b,c`: 1 to {@link MAX_TREND_GENRES} non-empty, distinct names. */
export const genresQuerySchema = z
  .string({ message: 'Expected a query parameter genres=NAME[,NAME…]' })
  .transform((value) => value.split(',').map((g) => g.trim()))
  .pipe(
    z
      .array(z.string().min(1, { message: 'Expected genres=NAME[,NAME…] without empty names' }))
      .min(1)
      .max(MAX_TREND_GENRES, {
        message: `Expected at most ${MAX_TREND_GENRES} genres in one trend request`,
      })
      .refine((genres) => new Set(genres).size === genres.length, {
        message: 'Expected each genre at most once in genres=…',
      }),
  );

/** Parses a query parameter; a bad one becomes a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  value: string | null,
  code: string,
): z.output<S> {
  const result = schema.safeParse(value ?? undefined);
  if (result.success) return result.data;
  const message = result.error.issues[0]?.message ?? 'Bad query parameter';
  throw new DashboardApiError(400, code, message, { cause: result.error });
}

interface ListenCell {
  readonly date: string;
  readonly genre: string;
  readonly listens: string;
  readonly updatedAt: string | undefined;
}

const text = (value: unknown): string =>
  value instanceof NumberValue ? value.value : String(value);

function byListensThenGenre(a: StoredKpiItem, b: StoredKpiItem): number {
  const d = BigInt(b.listen_count) - BigInt(a.listen_count);
  if (d !== 0n) return d > 0n ? 1 : -1;
  return a.track_genre < b.track_genre ? -1 : a.track_genre > b.track_genre ? 1 : 0;
}

/** The KPI endpoints for one table. */
export interface KpiApi {
  dates(signal: AbortSignal): Promise<readonly KpiDate[]>;
  day(date: string, signal: AbortSignal): Promise<KpiDay>;
  trend(genres: readonly string[], signal: AbortSignal): Promise<KpiTrend>;
}

/** Creates the KPI endpoints over `tableName` through the injected client. */
export function createKpiApi(dynamo: DynamoDBClient, tableName: string): KpiApi {
  const doc = DynamoDBDocumentClient.from(dynamo, { unmarshallOptions: { wrapNumbers: true } });

  /** Date, genre, listens and commit time of every item: one projected Scan, paginated. */
  async function cells(signal: AbortSignal): Promise<ListenCell[]> {
    const out: ListenCell[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: '#d, track_genre, listen_count, updated_at',
          ExpressionAttributeNames: { '#d': 'date' },
          ExclusiveStartKey: start,
        }),
        { abortSignal: signal },
      );
      for (const raw of page.Items ?? []) {
        out.push({
          date: String(raw.date),
          genre: String(raw.track_genre),
          listens: text(raw.listen_count),
          updatedAt: raw.updated_at === undefined ? undefined : String(raw.updated_at),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  return {
    async dates(signal) {
      const byDate = new Map<string, { genres: number; listens: bigint; last: string | null }>();
      for (const c of await cells(signal)) {
        const d = byDate.get(c.date) ?? { genres: 0, listens: 0n, last: null };
        d.genres++;
        d.listens += BigInt(c.listens);
        // ISO-8601 UTC times compare as strings.
        if (c.updatedAt !== undefined && (d.last === null || c.updatedAt > d.last))
          d.last = c.updatedAt;
        byDate.set(c.date, d);
      }
      return [...byDate.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([date, d]) => ({
          date,
          genres: d.genres,
          listens: d.listens.toString(),
          lastCommit: d.last,
        }));
    },

    async day(date, signal) {
      const items = await readKpiItems(dynamo, tableName, date, { signal });
      if (items.length === 0) {
        // A Query of a missing table also fails, so an empty answer means the date is absent.
        throw new DashboardApiError(
          404,
          'DATE_NOT_FOUND',
          `No KPIs for ${date} in table "${tableName}"`,
        );
      }
      const genres = [...items].sort(byListensThenGenre);
      const top5 = genres[0]?.top_5_genres ?? '';
      return { date, genres, top5Genres: top5 === '' ? [] : top5.split(', ') };
    },

    async trend(genres, signal) {
      const wanted = new Set(genres);
      const all = await cells(signal);
      const dates = [...new Set(all.map((c) => c.date))].sort();
      const index = new Map(dates.map((d, i) => [d, i]));
      const series = genres.map((genre) => ({
        genre,
        listens: dates.map((): string | null => null),
      }));
      const seriesOf = new Map(series.map((s) => [s.genre, s]));
      for (const c of all) {
        if (!wanted.has(c.genre)) continue;
        seriesOf.get(c.genre)!.listens[index.get(c.date)!] = c.listens;
      }
      return { dates, series };
    },
  };
}
