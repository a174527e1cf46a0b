/**
 * The pipeline embedded in an HTTP service: `POST /streams` with a streams
 * file as the request body answers with the run summary and the KPIs of the
 * uploaded rows. The body is never buffered: the request stream is the byte
 * source of parse → validate → join → aggregate on the pipeline builder, so
 * memory stays bounded by the batch size and the KPI state.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename } from 'node:path';
import {
  aggregateDailyKpis,
  type DeadLetterEntry,
  type DeadLetterSink,
  finalizeKpis,
  HeaderError,
  joinSongs,
  type KpiItem,
  kpiStateDates,
  loadSongsTable,
  loadUsersTable,
  OptionsError,
  PipelineError,
  parseFile,
  pickKpiDates,
  pipeline,
  RunMetrics,
  type SongsTable,
  type SourceCounts,
  type UsersTable,
  validateRows,
} from '@streamkpi/core';
import { z } from 'zod';
import {
  checkContentLength,
  limitedBody,
  ServiceLimitError,
  type ServiceLimits,
  serviceLimitsSchema,
} from './limits.js';

/** Options of {@link createKpiService}. Exactly one of `songsPath` and `songs` is required. */
export const kpiServiceOptionsSchema = z
  .object({
    /** Songs file (CSV, NDJSON or JSON array, optionally gzip) read once at start. */
    songsPath: z.string().min(1).optional(),
    /** Songs file contents, instead of `songsPath`; parsed as `songsFormat`. */
    songs: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    /** Format of `songs`. Default `csv`. */
    songsFormat: z.enum(['csv', 'ndjson', 'json']).default('csv'),
    /** Users file; when given, unknown users are counted in the summary. */
    usersPath: z.string().min(1).optional(),
    /** IANA zone of the KPI date. Default `UTC`. */
    timeZone: z.string().default('UTC'),
    /** IANA zone of zone-less `listen_time`s. Default `UTC`. */
    sourceTimeZone: z.string().default('UTC'),
    /** Rejected rows returned in a response (all are counted). Default 100. */
    maxDeadLetters: z.number().int().min(0).default(100),
  })
  .extend(serviceLimitsSchema.shape)
  .refine((o) => (o.songsPath === undefined) !== (o.songs === undefined), {
    message: 'Expected exactly one of `songsPath` and `songs`',
  });

/** Options of {@link createKpiService}. */
export type KpiServiceOptions = z.input<typeof kpiServiceOptionsSchema>;

/** A rejected row as returned by the service. */
export interface RejectedRow {
  readonly line: number;
  readonly reasons: readonly string[];
  readonly raw: DeadLetterEntry['raw'];
}

/** Body of a successful `POST /streams`. */
export interface StreamsResponse {
  /** Row counts of the upload: `rowsRead === rowsAggregated + rowsRejected`. */
  readonly summary: SourceCounts;
  /** Rejected rows: all counted, the first `maxDeadLetters` listed. */
  readonly deadLetters: {
    readonly count: number;
    readonly rows: readonly RejectedRow[];
    readonly truncated: boolean;
  };
  /** KPI items of the uploaded rows, one per date × genre (filtered by `?date=`). */
  readonly kpis: readonly KpiItem[];
}

/** Body of an error response (400, 404, 405, 500). */
export interface ErrorResponse {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** For `MISSING_COLUMNS`: the required columns the header lacks. */
    readonly missing?: readonly string[];
    readonly line?: number;
  };
}

const FORMATS = new Set(['csv', 'ndjson', 'json']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Counts every rejected row and keeps the first `limit` of them. */
function collectingDeadLetter(limit: number): DeadLetterSink & {
  count: number;
  rows: RejectedRow[];
} {
  const sink = {
    count: 0,
    rows: [] as RejectedRow[],
    async write(entries: readonly DeadLetterEntry[]) {
      for (const e of entries) {
        sink.count++;
        if (sink.rows.length < limit) {
          sink.rows.push({ line: e.line, reasons: e.reasons.map((r) => r.reason), raw: e.raw });
        }
      }
    },
    async close() {},
  };
  return sink;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: StreamsResponse | ErrorResponse | object,
  close = false,
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // An error can come before the body was read to its end: do not reuse the connection.
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

function errorBody(error: unknown): { status: number; body: ErrorResponse } {
  if (error instanceof ServiceLimitError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  }
  if (error instanceof HeaderError) {
    return {
      status: 400,
      body: { error: { code: error.code, message: error.message, missing: error.missing } },
    };
  }
  if (error instanceof PipelineError && !(error instanceof OptionsError)) {
    // Parse errors (empty body, unterminated quote, line too long…): bad content.
    return {
      status: 400,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.line === undefined ? {} : { line: error.line }),
        },
      },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: String((error as Error)?.message ?? error) } },
  };
}

/**
 * Creates the KPI service: loads the songs (and users) table once, then
 * serves `POST /streams[?format=csv|ndjson|json][&date=YYYY-MM-DD]` and
 * `GET /health`. Call `listen()` on the returned server. Invalid options
 * throw `OptionsError`; an unreadable or headerless songs file rejects.
 */
export async function createKpiService(options: KpiServiceOptions): Promise<Server> {
  const parsed = kpiServiceOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new OptionsError(
      `createKpiService: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`,
    );
  }
  const o = parsed.data;
  const referenceDeadLetter = collectingDeadLetter(0);
  const songsKey = o.songsPath ?? `songs.${o.songsFormat}`;
  const songs: SongsTable = await loadSongsTable(
    o.songsPath === undefined ? [o.songs ?? ''] : createReadStream(o.songsPath),
    { source: { id: songsKey, key: songsKey }, deadLetter: referenceDeadLetter },
  );
  const users: UsersTable | undefined =
    o.usersPath === undefined
      ? undefined
      : await loadUsersTable(createReadStream(o.usersPath), {
          source: { id: o.usersPath, key: o.usersPath },
          deadLetter: referenceDeadLetter,
        });
  let uploads = 0;

  async function postStreams(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const format = url.searchParams.get('format') ?? 'csv';
    const date = url.searchParams.get('date');
    if (!FORMATS.has(format) || (date !== null && !DATE.test(date))) {
      sendJson(
        res,
        400,
        {
          error: {
            code: 'INVALID_QUERY',
            message: 'Expected `format` to be csv, ndjson or json and `date` to be YYYY-MM-DD',
          },
        },
        true,
      );
      return;
    }
    const id = `upload-${++uploads}`;
    const source = { id, key: `${id}.${format}` };
    const deadLetter = collectingDeadLetter(o.maxDeadLetters);
    // A client that goes away aborts the run instead of leaving it to stall.
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('client closed the connection'));
    };
    res.once('close', onClose);
    try {
      checkContentLength(req, limits);
      const metrics = new RunMetrics();
      const { value: state } = await pipeline(limitedBody(req, limits))
        .through(parseFile({ source, dataset: 'streams' }), 'parse')
        .through(validateRows({ dataset: 'streams', deadLetter }))
        .through(joinSongs({ songs, deadLetter, ...(users === undefined ? {} : { users }) }))
        .to(aggregateDailyKpis({ timeZone: o.timeZone, sourceTimeZone: o.sourceTimeZone }))
        .run({ signal: abort.signal, metrics });
      const counts = metrics.source(source);
      const dates = kpiStateDates(state);
      if (date === null && dates.length > limits.maxDates) {
        throw new ServiceLimitError(
          422,
          'TOO_MANY_DATES',
          `The upload spans ${dates.length} dates, more than ${limits.maxDates} (maxDates); ask for one with ?date=YYYY-MM-DD`,
        );
      }
      const kpis = finalizeKpis(date === null ? state : pickKpiDates(state, [date]));
      const body: StreamsResponse = {
        summary: counts,
        deadLetters: {
          count: deadLetter.count,
          rows: deadLetter.rows,
          truncated: deadLetter.count > deadLetter.rows.length,
        },
        kpis,
      };
      sendJson(res, 200, body);
    } catch (error) {
      if (abort.signal.aborted) return;
      const { status, body } = errorBody(error);
      sendJson(res, status, body, true);
    } finally {
      res.off('close', onClose);
    }
  }

  const limits: ServiceLimits = o;
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      // Body time is enforced per upload (limitedBody), answered in JSON.
      requestTimeout: 0,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/streams') {
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Use POST' } }, true);
          return;
        }
        postStreams(req, res, url).catch((error: unknown) => {
          if (!res.headersSent) sendJson(res, 500, errorBody(error).body, true);
          else res.destroy(error as Error);
        });
        return;
      }
      if (url.pathname === '/health' && req.method === 'GET') {
        sendJson(res, 200, {
          ok: true,
          songs: { ...songs.stats, source: basename(songsKey) },
          referenceRowsRejected: referenceDeadLetter.count,
        });
        return;
      }
      const notFound = { code: 'NOT_FOUND', message: `No route ${url.pathname}` };
      sendJson(res, 404, { error: notFound }, true);
    },
  );
  return server;
}
