/**
 * Starts the embedded KPI service from the environment:
 * `SONGS_PATH` (required), `USERS_PATH`, `PORT` (default 3000; 0 picks a free
 * port), `HOST` (default 127.0.0.1), `TIME_ZONE`, `SOURCE_TIME_ZONE`, and the
 * limits `MAX_BODY_BYTES`, `HEADERS_TIMEOUT_MS`, `REQUEST_TIMEOUT_MS`,
 * `IDLE_TIMEOUT_MS`, `MAX_DATES`.
 *
 *   SONGS_PATH=songs.csv node --conditions=source --import tsx examples/embedded-service/src/main.ts
 *   curl -T streams.csv -H 'content-type: text/csv' -X POST http://127.0.0.1:3000/streams
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createKpiService } from './server.js';

/** Environment variables of the service's limits (see limits.ts). */
const LIMIT_ENV = {
  MAX_BODY_BYTES: 'maxBodyBytes',
  HEADERS_TIMEOUT_MS: 'headersTimeoutMs',
  REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  IDLE_TIMEOUT_MS: 'idleTimeoutMs',
  MAX_DATES: 'maxDates',
} as const;

/** Reads the environment, starts the service and stops it on SIGINT/SIGTERM. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const songsPath = env.SONGS_PATH;
  if (!songsPath) {
    process.stderr.write('SONGS_PATH is required (a songs CSV, NDJSON or JSON file)\n');
    process.exitCode = 2;
    return;
  }
  const port = Number(env.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`PORT must be an integer from 0 to 65535, got ${env.PORT}\n`);
    process.exitCode = 2;
    return;
  }
  const limits: Partial<Record<(typeof LIMIT_ENV)[keyof typeof LIMIT_ENV], number>> = {};
  for (const [name, option] of Object.entries(LIMIT_ENV)) {
    const value = env[name];
    if (value) limits[option] = Number(value);
  }
  const server = await createKpiService({
    songsPath,
    ...limits,
    ...(env.USERS_PATH ? { usersPath: env.USERS_PATH } : {}),
    ...(env.TIME_ZONE ? { timeZone: env.TIME_ZONE } : {}),
    ...(env.SOURCE_TIME_ZONE ? { sourceTimeZone: env.SOURCE_TIME_ZONE } : {}),
  });
  const host = env.HOST ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  process.stdout.write(`KPI service listening on http://${host}:${bound} (POST /streams)\n`);
  const stop = () => {
    // Let running uploads finish; refuse new connections.
    server.close();
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
