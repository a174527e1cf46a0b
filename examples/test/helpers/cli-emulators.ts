/**
 * What the CLI tests run `kpis` against: s3rver and dynalite in-process
 * (ephemeral ports), the environment that points a child `kpis` at them, a
 * local alert webhook that records what it is sent, and small S3 helpers.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynaliteHandle, startDynalite } from '@streamkpi/dynamo-sink/testing';
import { listKeys, putObject, type RunningS3rver, startS3rver } from '@streamkpi/s3-source/testing';
import type { Alert } from '../../src/cli/alert-webhook.js';
import { emulatorEnv } from './spawn-cli.js';

/** A local webhook that records every JSON body POSTed to it. */
export interface Webhook {
  readonly url: string;
  readonly alerts: Alert[];
  readonly server: Server;
}

/** Starts a {@link Webhook} on 127.0.0.1 (ephemeral port). */
export async function startWebhook(): Promise<Webhook> {
  const alerts: Alert[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Alert);
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    alerts,
    server,
  };
}

/** Puts one object; resolves to its bare ETag. */
export const put = putObject;

/** The keys under `prefix`, every page, in key order (folder markers left out). */
export async function keys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listKeys(s3, bucket, prefix)).filter((key) => !key.endsWith('/'));
}

/** The emulators, a client, the child environment and a webhook. */
export interface CliEmulators {
  readonly s3rver: RunningS3rver;
  readonly dynalite: DynaliteHandle;
  readonly s3: S3Client;
  readonly env: Record<string, string>;
  readonly hook: Webhook;
  close(): Promise<void>;
}

/** Starts s3rver (with `buckets` created), dynalite and a webhook. */
export async function startCliEmulators(
  options: { readonly buckets?: readonly string[] } = {},
): Promise<CliEmulators> {
  const [s3rver, dynalite, hook] = await Promise.all([
    startS3rver(options.buckets === undefined ? {} : { buckets: options.buckets }),
    startDynalite(),
    startWebhook(),
  ]);
  return {
    s3rver,
    dynalite,
    s3: s3rver.client(),
    env: emulatorEnv(s3rver.endpoint, dynalite.endpoint),
    hook,
    async close() {
      hook.server.close();
      await Promise.all([s3rver.close(), dynalite.close()]);
    },
  };
}

/**
 * {@link startCliEmulators} for the calling suite: started in its `before`,
 * closed in its `after`. Its fields can be read once the suite's tests run.
 */
export function useCliEmulators(
  options: { readonly buckets?: readonly string[] } = {},
): CliEmulators {
  let emu: CliEmulators | undefined;
  before(async () => {
    emu = await startCliEmulators(options);
  });
  after(async () => {
    await emu?.close();
  });
  // Every field is read through to the started emulators.
  return new Proxy({} as CliEmulators, {
    get(_, field) {
      if (emu === undefined) throw new Error('the emulators start in the suite’s before hook');
      return Reflect.get(emu, field);
    },
  });
}
