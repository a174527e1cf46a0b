/**
 * The embedded service's limits: body size, header / body / idle time and
 * dates per response are bounded, and each breach is answered with its own
 * 4xx instead of holding memory or a socket.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OptionsError } from '@streamkpi/core';
import {
  createKpiService,
  type ErrorResponse,
  type StreamsResponse,
} from '../embedded-service/src/server.js';
import { type JsonReply, jsonReply } from './helpers/json-reply.js';

const SONGS = 'track_id,track_name,duration_ms,track_genre\nt1,One,1000,pop\nt2,Two,2000,rock\n';
const HEADER = 'user_id,track_id,listen_time\n';

/**
 * POSTs `chunks` (each after `gapMs`); resolves with the answer, even when it
 * arrives before the body was sent (the rest is then not sent).
 */
function post<T>(
  base: string,
  path: string,
  chunks: Iterable<string>,
  options: { gapMs?: number; headers?: Record<string, string>; endBody?: boolean } = {},
): Promise<JsonReply<T>> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      `${base}${path}`,
      { method: 'POST', agent: false, headers: options.headers },
      (res) => {
        answered = true;
        jsonReply<T>(res).then(resolve, reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    (async () => {
      for (const chunk of chunks) {
        if (answered) return;
        req.write(chunk);
        if (options.gapMs !== undefined) await sleep(options.gapMs);
      }
      if (options.endBody !== false) req.end();
    })().catch(() => {});
  });
}

function rows(dates: readonly string[]): string {
  return HEADER + dates.map((d, i) => `${i + 1},t1,${d} 10:00:00\n`).join('');
}

describe('embedded KPI service limits', () => {
  let server: Awaited<ReturnType<typeof createKpiService>>;
  let base: string;
  let port: number;

  before(async () => {
    server = await createKpiService({
      songs: SONGS,
      maxBodyBytes: 4096,
      headersTimeoutMs: 300,
      requestTimeoutMs: 1500,
      idleTimeoutMs: 400,
      maxDates: 3,
      timeoutCheckIntervalMs: 50,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('answers an upload within every limit with 200', async () => {
    const reply = await post<StreamsResponse>(base, '/streams', [
      rows(['2024-06-25', '2024-06-26']),
    ]);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.summary.rowsAggregated, 2);
  });

  it('answers 413 BODY_TOO_LARGE when Content-Length announces too much, before reading the body', async () => {
    const reply = await post<ErrorResponse>(base, '/streams', [HEADER], {
      headers: { 'content-length': String(10 * 1024 * 1024 * 1024) },
      endBody: false,
    });
    assert.equal(reply.status, 413);
    assert.equal(reply.body.error.code, 'BODY_TOO_LARGE');
    assert.match(reply.body.error.message, /4096 bytes/);
  });

  it('answers 413 BODY_TOO_LARGE when a chunked body passes maxBodyBytes', async () => {
    const row = '1,t1,2024-06-25 10:00:00\n';
    let sent = 0;
    const chunks = [HEADER, ...Array.from({ length: 400 }, () => row.repeat(4))];
    const reply = await post<ErrorResponse>(
      base,
      '/streams',
      (function* () {
        for (const c of chunks) {
          sent += c.length;
          yield c;
        }
      })(),
      { gapMs: 1 },
    );
    assert.equal(reply.status, 413);
    assert.equal(reply.body.error.code, 'BODY_TOO_LARGE');
    assert.ok(sent < chunks.join('').length, 'answered before the whole body was sent');
  });

  it('answers 408 IDLE_TIMEOUT when the body stops arriving', async () => {
    const reply = await post<ErrorResponse>(
      base,
      '/streams',
      [HEADER, '1,t1,2024-06-25 10:00:00\n'],
      {
        endBody: false,
      },
    );
    assert.equal(reply.status, 408);
    assert.equal(reply.body.error.code, 'IDLE_TIMEOUT');
  });

  it('answers 408 REQUEST_TIMEOUT when a trickled body takes longer than requestTimeoutMs', async () => {
    const trickle = (function* () {
      yield HEADER;
      for (let i = 0; i < 1000; i++) yield '1,t1,2024-06-25 10:00:00\n';
    })();
    const reply = await post<ErrorResponse>(base, '/streams', trickle, { gapMs: 100 });
    assert.equal(reply.status, 408);
    assert.equal(reply.body.error.code, 'REQUEST_TIMEOUT');
  });

  it('answers 408 and closes a connection whose headers never finish', {
    timeout: 20_000,
  }, async () => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.write('POST /streams HTTP/1.1\r\nHost: x\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    assert.match(Buffer.concat(received).toString(), /^HTTP\/1\.1 408 /);
  });

  it('answers 422 TOO_MANY_DATES for more dates than maxDates, and serves one of them with ?date=', async () => {
    const body = rows(['2024-06-21', '2024-06-22', '2024-06-23', '2024-06-24', '2024-06-25']);
    const wide = await post<ErrorResponse>(base, '/streams', [body]);
    assert.equal(wide.status, 422);
    assert.equal(wide.body.error.code, 'TOO_MANY_DATES');
    assert.match(wide.body.error.message, /5 dates, more than 3/);
    const one = await post<StreamsResponse>(base, '/streams?date=2024-06-23', [body]);
    assert.equal(one.status, 200);
    assert.deepEqual(
      one.body.kpis.map((k) => k.date),
      ['2024-06-23'],
    );
    assert.equal(one.body.summary.rowsAggregated, 5);
  });

  it('refuses limits that are not positive integers before loading anything', async () => {
    for (const bad of [
      { maxBodyBytes: 0 },
      { idleTimeoutMs: -1 },
      { maxDates: 1.5 },
      { headersTimeoutMs: Number.NaN },
    ]) {
      await assert.rejects(
        createKpiService({ songs: SONGS, ...bad }),
        OptionsError,
        JSON.stringify(bad),
      );
    }
  });
});
