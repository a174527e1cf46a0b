/**
 * The dashboard's HTTP server: the page's static files and a small JSON API
 * over the KPI table and the pipeline's run history. Listens on 127.0.0.1
 * unless told otherwise.
 *
 * | route                      | answer                                           |
 * |----------------------------|--------------------------------------------------|
 * | `GET /`                    | the page (`public/index.html`)                   |
 * | `GET /api/config`          | table, bucket, prefix, refresh interval          |
 * | `GET /api/dates`           | {@link KpiDate}[]: dates present, listens, last commit |
 * | `GET /api/kpis?date=D`     | {@link KpiDay}: the date's items (`readKpiItems`) |
 * | `GET /api/trend?genres=a,b`| {@link KpiTrend}: listens per date per genre     |
 * | `GET /api/health`          | pipeline health (runs, pending, quarantined…)    |
 *
 * Errors are `{ error: { code, message } }` with a 4xx/5xx status.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import { z } from 'zod';
import { createHealthApi, type HealthApi } from './health-api.js';
import { DashboardApiError, sendAsset, sendError, sendJson, toApiError } from './http.js';
import { createKpiApi, dateQuerySchema, genresQuerySchema, parseQuery } from './kpi-api.js';
import { loadStaticAssets } from './static-assets.js';

const prefix = z.string().refine((p) => p === '' || p.endsWith('/'), {
  message: "Expected a prefix that is '' or ends with '/'",
});

/** Options of {@link startDashboard}. */
export const dashboardOptionsSchema = z.object({
  /** The KPI table `kpis run` writes. */
  tableName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, {
    message: 'Expected `tableName` to be 3–255 characters of a-z, A-Z, 0-9, `_`, `-`, `.`',
  }),
  /** Bucket of the pipeline (run history, pending, quarantined, dead letter); none: KPIs only. */
  bucket: z.string().min(3).max(63).optional(),
  /** Prefix above the dataset folders, as given to `kpis run`. Default `''`. */
  prefix: prefix.default(''),
  /** Interface to listen on. Default `127.0.0.1` (this machine only). */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port; `0` picks a free one. Default `0`. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Seconds between the page's automatic refreshes (`0`: only on the button). Default 15. */
  refreshSeconds: z.number().int().min(0).max(3_600).default(15),
});

/** Options of {@link startDashboard}: {@link dashboardOptionsSchema} plus the injected clients. */
export type StartDashboardOptions = z.input<typeof dashboardOptionsSchema> & {
  readonly dynamo: DynamoDBClient;
  /** Needed with `bucket`. */
  readonly s3?: S3Client;
};

/** A listening dashboard. */
export interface RunningDashboard {
  /** `http://host:port/`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening, aborts requests in flight and closes connections. */
  close(): Promise<void>;
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Host names the server answers to. A page on another site could otherwise
 * reach a loopback server through a DNS name that resolves to 127.0.0.1
 * (DNS rebinding); a wildcard bind was asked for explicitly and accepts any.
 */
function hostCheck(host: string, port: number): (header: string | undefined) => boolean {
  if (WILDCARD.has(host)) return () => true;
  const bound = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const allowed = new Set([bound, ...LOOPBACK].map((h) => `${h.toLowerCase()}:${port}`));
  return (header) => header !== undefined && allowed.has(header.toLowerCase());
}

/**
 * Starts the dashboard. Validates the options before any I/O (throws
 * `OptionsError`), loads the page's files, then listens.
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const { dynamo, s3, ...rest } = options;
  const parsed = dashboardOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`)
      .join('; ');
    throw new OptionsError(`Invalid startDashboard options: ${details}`, { cause: parsed.error });
  }
  const o = parsed.data;
  if (o.bucket !== undefined && s3 === undefined) {
    throw new OptionsError('Invalid startDashboard options: s3: Expected an S3Client with bucket');
  }
  const assets = await loadStaticAssets();
  const kpis = createKpiApi(dynamo, o.tableName);
  const health: HealthApi | undefined =
    o.bucket === undefined || s3 === undefined
      ? undefined
      : createHealthApi({ s3, dynamo, bucket: o.bucket, prefix: o.prefix, tableName: o.tableName });
  const where = { table: o.tableName, bucket: o.bucket };
  const closing = new AbortController();

  async function api(path: string, query: URLSearchParams, signal: AbortSignal): Promise<unknown> {
    switch (path) {
      case '/api/config':
        return {
          table: o.tableName,
          bucket: o.bucket ?? null,
          prefix: o.prefix,
          refreshSeconds: o.refreshSeconds,
          health: health !== undefined,
        };
      case '/api/dates':
        return { dates: await kpis.dates(signal) };
      case '/api/kpis':
        return kpis.day(parseQuery(dateQuerySchema, query.get('date'), 'BAD_DATE'), signal);
      case '/api/trend':
        return kpis.trend(parseQuery(genresQuerySchema, query.get('genres'), 'BAD_GENRES'), signal);
      case '/api/health':
        if (health === undefined) {
          return {
            available: false,
            reason:
              'Start the dashboard with --bucket (and --prefix) of the pipeline to see its runs',
          };
        }
        return { available: true, ...(await health.read(signal)) };
      default:
        throw new DashboardApiError(404, 'NOT_FOUND', `No API endpoint ${path}`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, allowHost: HostCheck) {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (!allowHost(req.headers.host)) {
      sendError(
        res,
        new DashboardApiError(
          403,
          'FORBIDDEN_HOST',
          `Host ${req.headers.host ?? '(none)'} is not served here`,
        ),
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(
        res,
        new DashboardApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported; use GET`),
      );
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      const asset = assets.get(url.pathname);
      if (asset === undefined) {
        sendError(res, new DashboardApiError(404, 'NOT_FOUND', `No file ${url.pathname}`));
      } else {
        sendAsset(res, asset.contentType, asset.body);
      }
      return;
    }
    // A closed tab or a stopping server aborts the request's AWS calls.
    const request = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) request.abort(new Error('client went away'));
    };
    res.on('close', onClose);
    const signal = AbortSignal.any([request.signal, closing.signal]);
    try {
      sendJson(res, 200, await api(url.pathname, url.searchParams, signal));
    } catch (error) {
      if (!res.headersSent && !res.destroyed) sendError(res, toApiError(error, where));
    } finally {
      res.off('close', onClose);
    }
  }

  type HostCheck = (header: string | undefined) => boolean;
  let allowHost: HostCheck = () => false;
  const server = createServer((req, res) => {
    void handle(req, res, allowHost);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  allowHost = hostCheck(o.host, port);
  const shown = o.host.includes(':') && !o.host.startsWith('[') ? `[${o.host}]` : o.host;
  return {
    url: `http://${WILDCARD.has(o.host) ? '127.0.0.1' : shown}:${port}/`,
    host: o.host,
    port,
    close: async () => {
      closing.abort(new Error('dashboard stopped'));
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
