/**
 * The dashboard's JSON API against s3rver + dynalite after a real pipeline
 * run: its numbers are `readKpiItems`'s, bad input gets a 4xx that says
 * what was wrong, and the server answers only on loopback host names.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { readKpiItems, readPipelineStatus, type StoredKpiItem } from '@streamkpi/dynamo-sink';
import type { DashboardHealth } from '../src/dashboard/health-api.js';
import type { KpiDate, KpiDay, KpiTrend } from '../src/dashboard/kpi-api.js';
import { type RunningDashboard, startDashboard } from '../src/dashboard/server.js';
import { type DashboardFixture, startDashboardFixture } from './helpers/dashboard-fixture.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = unknown>(): T;
}

/** One request with node:http, so the Host header and method can be anything. */
function call(
  base: string,
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.host === undefined ? {} : { host: options.host },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

type ErrorBody = { error: { code: string; message: string } };

function byListensThenGenre(a: StoredKpiItem, b: StoredKpiItem): number {
  const d = BigInt(b.listen_count) - BigInt(a.listen_count);
  if (d !== 0n) return d > 0n ? 1 : -1;
  return a.track_genre < b.track_genre ? -1 : 1;
}

describe('dashboard JSON API', () => {
  let f: DashboardFixture;
  let base: string;
  let all: StoredKpiItem[];
  before(async () => {
    f = await startDashboardFixture();
    base = f.dashboard.url;
    all = await readKpiItems(f.dynamo, f.table);
  });
  after(async () => {
    await f?.close();
  });

  it('listens on 127.0.0.1 by default', () => {
    assert.equal(f.dashboard.host, '127.0.0.1');
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('lists the dates of the table with their genres, listens and last commit time', async () => {
    const r = await call(base, '/api/dates');
    assert.equal(r.status, 200);
    const { dates } = r.json<{ dates: KpiDate[] }>();
    const expected = [...new Set(all.map((i) => i.date))].sort().map((date) => {
      const items = all.filter((i) => i.date === date);
      return {
        date,
        genres: items.length,
        listens: items.reduce((s, i) => s + BigInt(i.listen_count), 0n).toString(),
        lastCommit: items
          .map((i) => i.updated_at!)
          .sort()
          .at(-1)!,
      };
    });
    assert.equal(expected.length, 3);
    assert.deepEqual(dates, expected);
  });

  it('answers a date with exactly readKpiItems for it, most listens first', async () => {
    const dates = [...new Set(all.map((i) => i.date))];
    for (const date of dates) {
      const r = await call(base, `/api/kpis?date=${date}`);
      assert.equal(r.status, 200);
      const day = r.json<KpiDay>();
      const items = (await readKpiItems(f.dynamo, f.table, date)).sort(byListensThenGenre);
      assert.equal(day.date, date);
      assert.deepEqual(day.genres, items);
      assert.deepEqual(day.top5Genres, items[0]!.top_5_genres.split(', '));
      assert.equal(day.top5Genres.length, 5);
    }
  });

  it('gives listens per date for the chosen genres, null where a genre has no item', async () => {
    const [first, second] = all.filter((i) => i.date === all[0]!.date);
    const genres = [first!.track_genre, second!.track_genre, 'no-such-genre'];
    const r = await call(base, `/api/trend?genres=${encodeURIComponent(genres.join(','))}`);
    assert.equal(r.status, 200);
    const trend = r.json<KpiTrend>();
    const dates = [...new Set(all.map((i) => i.date))].sort();
    assert.deepEqual(trend.dates, dates);
    assert.deepEqual(
      trend.series,
      genres.map((genre) => ({
        genre,
        listens: dates.map(
          (d) => all.find((i) => i.date === d && i.track_genre === genre)?.listen_count ?? null,
        ),
      })),
    );
  });

  it('reports the pipeline status of the bucket: its run record, nothing pending or quarantined', async () => {
    const r = await call(base, '/api/health');
    assert.equal(r.status, 200);
    const { available, checkedAt, oldestPendingAgeMs, ...health } = r.json<
      DashboardHealth & { available: boolean }
    >();
    assert.equal(available, true);
    assert.ok(Number.isFinite(Date.parse(checkedAt)));
    const status = await readPipelineStatus({
      s3: f.s3,
      dynamo: f.dynamo,
      bucket: f.bucket,
      tableName: f.table,
      runs: 10,
    });
    const { checkedAt: _, ...expected } = status;
    assert.deepEqual(health, expected);
    assert.equal(health.runs.length, 1);
    assert.equal(health.runs[0]!.ok, true);
    assert.equal(health.runs[0]!.objects.committed.count, 3);
    assert.equal(health.pending.count, 0);
    assert.equal(oldestPendingAgeMs, null);
    assert.equal(health.quarantined.count, 0);
    assert.ok(health.deadLetter.objects > 0, 'the dirty rows went to the dead letter');
  });

  it('rejects malformed and impossible dates with 400 BAD_DATE naming the value', async () => {
    for (const bad of ['2024-13-45', '2024-02-30', 'yesterday', '2024-6-25', '']) {
      const r = await call(base, `/api/kpis?date=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      const body = r.json<ErrorBody>();
      assert.equal(body.error.code, 'BAD_DATE');
      assert.equal(
        body.error.message,
        `Expected date=YYYY-MM-DD, a calendar date such as 2024-06-25, got "${bad}"`,
      );
    }
    const missing = await call(base, '/api/kpis');
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json(), {
      error: { code: 'BAD_DATE', message: 'Expected a query parameter date=YYYY-MM-DD' },
    });
  });

  it('answers a well-formed date without KPIs with 404 DATE_NOT_FOUND', async () => {
    const r = await call(base, '/api/kpis?date=1999-01-01');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json(), {
      error: {
        code: 'DATE_NOT_FOUND',
        message: 'No KPIs for 1999-01-01 in table "dashboard_kpis"',
      },
    });
  });

  it('rejects missing, empty, repeated or too many trend genres with 400 BAD_GENRES', async () => {
    const cases: [string, string][] = [
      ['', 'Expected a query parameter genres=NAME[,NAME…]'],
      ['?genres=pop,,rock', 'Expected genres=NAME[,NAME…] without empty names'],
      ['?genres=pop,pop', 'Expected each genre at most once in genres=…'],
      [
        `?genres=${Array.from({ length: 13 }, (_, i) => `g${i}`).join(',')}`,
        'Expected at most 12 genres in one trend request',
      ],
    ];
    for (const [query, message] of cases) {
      const r = await call(base, `/api/trend${query}`);
      assert.equal(r.status, 400, query);
      assert.deepEqual(r.json(), { error: { code: 'BAD_GENRES', message } }, query);
    }
  });

  it('answers 404 TABLE_NOT_FOUND naming the table when it does not exist', async () => {
    let other: RunningDashboard | undefined;
    try {
      other = await startDashboard({ dynamo: f.dynamo, tableName: 'no_such_table' });
      for (const path of ['/api/dates', '/api/kpis?date=2024-06-25', '/api/trend?genres=pop']) {
        const r = await call(other.url, path);
        assert.equal(r.status, 404, path);
        const body = r.json<ErrorBody>();
        assert.equal(body.error.code, 'TABLE_NOT_FOUND');
        assert.match(body.error.message, /^DynamoDB table "no_such_table" does not exist/);
      }
      // Without a bucket the health endpoint says how to get it, and is not an error.
      const health = await call(other.url, '/api/health');
      assert.equal(health.status, 200);
      assert.equal(health.json<{ available: boolean }>().available, false);
    } finally {
      await other?.close();
    }
  });

  it('answers unknown paths with 404, other methods with 405 and foreign Host names with 403', async () => {
    const api = await call(base, '/api/nothing');
    assert.equal(api.status, 404);
    assert.equal(api.json<ErrorBody>().error.code, 'NOT_FOUND');
    const file = await call(base, '/../package.json');
    assert.equal(file.status, 404);
    const post = await call(base, '/api/dates', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const port = new URL(base).port;
    const rebinding = await call(base, '/api/dates', { host: `evil.example:${port}` });
    assert.equal(rebinding.status, 403);
    assert.equal(rebinding.json<ErrorBody>().error.code, 'FORBIDDEN_HOST');
    const localhost = await call(base, '/api/config', { host: `localhost:${port}` });
    assert.equal(localhost.status, 200);
    assert.deepEqual(localhost.json(), {
      table: 'dashboard_kpis',
      bucket: 'dashboard-listening',
      prefix: '',
      refreshSeconds: 0,
      health: true,
    });
  });

  it('serves the page, its scripts and Chart.js from the package, under a self-only CSP', async () => {
    const page = await call(base, '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.match(page.text, /<script src="\/vendor\/chart\.umd\.min\.js" defer><\/script>/);
    assert.doesNotMatch(page.text, /https?:\/\//);
    const chart = await call(base, '/vendor/chart.umd.min.js');
    assert.equal(chart.status, 200);
    assert.equal(chart.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(chart.text.slice(0, 200), /Chart\.js v4\./);
    for (const script of ['/app.js', '/charts.js', '/genre-table.js', '/health.js', '/format.js']) {
      const r = await call(base, script);
      assert.equal(r.status, 200, script);
      assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8', script);
    }
  });

  it('checks its options before listening', async () => {
    const bad = [
      { dynamo: f.dynamo, tableName: 'x' },
      { dynamo: f.dynamo, tableName: 'kpis', port: 70_000 },
      { dynamo: f.dynamo, tableName: 'kpis', prefix: 'no-slash' },
      { dynamo: f.dynamo, tableName: 'kpis', bucket: 'some-bucket' },
    ];
    for (const options of bad) {
      await assert.rejects(startDashboard(options), (error: unknown) => {
        assert.ok(error instanceof OptionsError);
        assert.match(error.message, /^Invalid startDashboard options: /);
        return true;
      });
    }
  });
});
