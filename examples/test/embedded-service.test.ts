import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  OptionsError,
  type SongRow,
  type StreamRow,
  songRowSchema,
  streamRowSchema,
} from '@streamkpi/core';
import { oracleKpis } from '../../packages/core/test/helpers/oracle.js';
import {
  createKpiService,
  type ErrorResponse,
  type StreamsResponse,
} from '../embedded-service/src/server.js';
import { generateDataset, type Manifest } from '../src/generate/index.js';
import { type JsonReply, jsonReply } from './helpers/json-reply.js';
import { parseCsv } from './helpers/rfc4180.js';

/** POSTs `body` chunk by chunk (chunked transfer encoding, no content-length); counts the chunks sent. */
function post<T>(
  base: string,
  path: string,
  body: Iterable<string | Buffer> | Readable,
): Promise<JsonReply<T> & { chunks: number }> {
  return new Promise((resolve, reject) => {
    let chunks = 0;
    const req = request(
      `${base}${path}`,
      // A fresh connection each time: no race with the server's keep-alive timeout.
      { method: 'POST', headers: { 'content-type': 'text/csv' }, agent: false },
      (res) => {
        jsonReply<T>(res).then((reply) => resolve({ ...reply, chunks }), reject);
      },
    );
    req.on('error', reject);
    (async () => {
      for await (const chunk of body as AsyncIterable<string | Buffer>) {
        chunks++;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows
    .filter((r) => r.length === header!.length)
    .map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

describe('embedded KPI service', () => {
  let dir: string;
  let manifest: Manifest;
  let songsText: string;
  let server: Awaited<ReturnType<typeof createKpiService>>;
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'embedded-service-'));
    manifest = await generateDataset({
      dir,
      seed: 7,
      streamRows: 20_000,
      streamFiles: 1,
      days: 3,
      genres: 12,
      songsPerGenre: 40,
      users: 800,
      dirtyRate: 0.03,
    });
    songsText = await readFile(join(dir, manifest.songs.path), 'utf8');
    server = await createKpiService({
      songsPath: join(dir, manifest.songs.path),
      usersPath: join(dir, manifest.users.path),
      maxDeadLetters: 5,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a streamed CSV upload with KPIs equal to the oracle and every row accounted for', async () => {
    const file = manifest.streams.files[0]!;
    const path = join(dir, file.path);
    const reply = await post<StreamsResponse>(
      base,
      '/streams',
      createReadStream(path, { highWaterMark: 4096 }),
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.ok(reply.chunks > 10, `sent in ${reply.chunks} chunks`);

    const songs: SongRow[] = [];
    for (const r of records(songsText)) {
      const parsed = songRowSchema.safeParse(r);
      if (parsed.success) songs.push(parsed.data);
    }
    const streams: StreamRow[] = [];
    for (const r of records(await readFile(path, 'utf8'))) {
      const parsed = streamRowSchema.safeParse(r);
      if (parsed.success) streams.push(parsed.data);
    }
    const expected = oracleKpis(songs, streams);
    assert.ok(expected.length > 12, 'several dates × genres');
    assert.deepEqual(reply.body.kpis, expected);

    const { summary, deadLetters } = reply.body;
    const totals = manifest.streams.totals;
    assert.equal(summary.rowsRead, file.rows);
    assert.equal(summary.rowsRejected, totals.dirtyRows);
    assert.equal(summary.rowsAggregated, totals.validRows);
    assert.equal(summary.rowsRead, summary.rowsAggregated + summary.rowsRejected);
    const byReason = Object.values(summary.rejectedByReason).reduce((a, b) => a + b, 0);
    assert.equal(byReason, summary.rowsRejected);
    assert.equal(summary.rejectedByReason.unknown_track, totals.dirty.unknownTrack);
    assert.equal(deadLetters.count, summary.rowsRejected);
    assert.equal(deadLetters.rows.length, 5);
    assert.equal(deadLetters.truncated, true);
    for (const row of deadLetters.rows) assert.ok(row.line >= 2 && row.reasons.length > 0);
  });

  it('filters the KPIs to one day with ?date=', async () => {
    const csv = [
      'user_id,track_id,listen_time\n',
      ...records(songsText)
        .slice(0, 3)
        .map((s, i) => `${i + 1},${s.track_id},2024-06-2${5 + (i % 2)} 10:00:00\n`),
    ];
    const reply = await post<StreamsResponse>(base, '/streams?date=2024-06-26', csv);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.summary.rowsRead, 3);
    assert.ok(reply.body.kpis.length > 0);
    assert.deepEqual(new Set(reply.body.kpis.map((k) => k.date)), new Set(['2024-06-26']));
  });

  it('answers 400 naming the missing columns when the header lacks required fields', async () => {
    const reply = await post<ErrorResponse>(base, '/streams', [
      'user_id,song,when\n',
      '1,t1,2024-06-25 10:00:00\n',
    ]);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, 'MISSING_COLUMNS');
    assert.deepEqual([...(reply.body.error.missing ?? [])].sort(), ['listen_time', 'track_id']);
    assert.match(reply.body.error.message, /track_id/);
  });

  it('answers a bad header while an endless upload is still being sent: the body is streamed, not buffered', async () => {
    const req = request(`${base}/streams`, { method: 'POST', agent: false });
    let answered = false;
    const response = new Promise<{ status: number; body: ErrorResponse }>((resolve, reject) => {
      req.on('response', (res) => {
        answered = true;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(parts).toString('utf8')) as ErrorResponse,
          }),
        );
        res.on('error', reject);
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
    });
    // A body without end, written as fast as the server reads it (backpressure):
    // a server that buffered the body before answering would never answer.
    const row = Buffer.from('1,t1\n'.repeat(1000));
    let chunks = 0;
    req.write('user_id,track\n');
    while (!answered && !req.destroyed) {
      chunks++;
      if (!req.write(row)) {
        await new Promise((r) => {
          req.once('drain', r);
          req.once('response', r);
          req.once('close', r);
        });
      }
    }
    const reply = await response;
    assert.equal(req.writableEnded, false);
    req.destroy();
    assert.ok(chunks >= 1);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.error.code, 'MISSING_COLUMNS');
    assert.deepEqual([...(reply.body.error.missing ?? [])].sort(), ['listen_time', 'track_id']);
  });

  it('answers 400 EMPTY_FILE for an empty body', async () => {
    const empty = await post<ErrorResponse>(base, '/streams', []);
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'EMPTY_FILE');
  });

  it('dead-letters a row with an unterminated quote and still answers with the summary', async () => {
    const reply = await post<StreamsResponse>(base, '/streams', [
      'user_id,track_id,listen_time\n1,"t1,2024-06-25 10:00:00\n',
    ]);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.summary, {
      rowsRead: 1,
      rowsAggregated: 0,
      rowsRejected: 1,
      rejectedByReason: { unterminated_quote: 1 },
    });
    assert.deepEqual(reply.body.deadLetters.rows[0]?.line, 2);
    assert.deepEqual(reply.body.kpis, []);
  });

  it('keeps serving after a rejected upload and answers 404/405 for other routes', async () => {
    const bad = await post<ErrorResponse>(base, '/streams?format=xml', ['a\n']);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_QUERY');
    const missing = await post<ErrorResponse>(base, '/nope', ['x']);
    assert.equal(missing.status, 404);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { ok: boolean; songs: { genres: number } };
    assert.equal(body.songs.genres, 12);
    const wrongMethod = await fetch(`${base}/streams`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
  });

  it('rejects bad options before reading any file', async () => {
    await assert.rejects(createKpiService({}), OptionsError);
    await assert.rejects(
      createKpiService({ songs: 'track_id\n', songsPath: '/nonexistent' }),
      /exactly one of `songsPath` and `songs`/,
    );
  });

  it('loads the songs table from bytes', async () => {
    const service = await createKpiService({
      songs: Buffer.from(
        'track_id,track_name,duration_ms,track_genre\nt1,"A, b",1000,pop\nt1,"A, b",1000,rock\n',
      ),
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
      const reply = await post<StreamsResponse>(url, '/streams', [
        'user_id,track_id,listen_time\n1,t1,2024-06-25 10:00:00\n2,t1,2024-06-25T11:00:00Z\n',
      ]);
      assert.equal(reply.status, 200);
      assert.deepEqual(
        reply.body.kpis.map((k) => [k.track_genre, k.listen_count, k.avg_listening_time_per_user]),
        [
          ['pop', 2, '1.00'],
          ['rock', 2, '1.00'],
        ],
      );
    } finally {
      service.closeAllConnections();
      await new Promise<void>((r) => service.close(() => r()));
    }
  });
});
