import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** An HTTP answer with its JSON body parsed. */
export interface JsonReply<T> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: T;
}

/** Reads a response to its end and parses its body as JSON. */
export function jsonReply<T>(res: IncomingMessage): Promise<JsonReply<T>> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('error', reject);
    res.on('end', () => {
      try {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: JSON.parse(Buffer.concat(parts).toString('utf8')) as T,
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}
