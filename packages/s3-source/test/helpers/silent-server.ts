/**
 * An HTTP endpoint (S3 or DynamoDB alike) that accepts every connection and
 * never answers: what a stalled connection looks like to the SDK.
 */
import { createServer, type Socket } from 'node:net';

/** A running {@link startSilentServer}. */
export interface SilentServer {
  /** `http://127.0.0.1:<ephemeral port>`. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Destroys the open connections and stops listening. */
  close(): Promise<void>;
}

/** Starts a {@link SilentServer} on an ephemeral port of 127.0.0.1. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
