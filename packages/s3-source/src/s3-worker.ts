/**
 * Worker module for `createAggregatePool` (core) that reads stream objects
 * from S3 on the worker thread itself, so bytes never cross threads. Pass
 * {@link S3_WORKER_FILE} as `workerFile` and {@link S3WorkerInput}s as task
 * inputs.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createAggregateWorkerTask, PipelineError, siblingModule } from '@streamkpi/core';
import { type HttpTimeoutsOptions, httpTimeouts, timeoutsOf } from './http-timeouts.js';
import { openObject } from './read-object.js';
import { describeRequest, isTimeoutError, RequestTimeoutError } from './request-timeout.js';

/**
 * Plain, structured-clone settings of the worker's S3 client. Anything left
 * out comes from the standard SDK environment of the process (region,
 * credentials chain, `AWS_ENDPOINT_URL_S3`).
 */
export interface S3WorkerClientConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  readonly responseChecksumValidation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  readonly maxAttempts?: number;
  /** Connection and request timeouts, built with `httpTimeouts`. Default: none. */
  readonly httpTimeouts?: HttpTimeoutsOptions;
}

/** The task input of the S3 worker: which object version to read, and how. */
export interface S3WorkerInput {
  readonly bucket: string;
  readonly key: string;
  /** ETag the object must still have (resumes are pinned to it). */
  readonly etag?: string;
  readonly client: S3WorkerClientConfig;
  /** Resumes after a broken body. Default 5. */
  readonly maxResumes?: number;
}

/** URL of this module, for `createAggregatePool({ workerFile })`. */
export const S3_WORKER_FILE: string = siblingModule(import.meta.url, './s3-worker');

/**
 * The plain settings of an injected client, for the worker threads' own
 * clients: endpoint (when custom), region, path style, checksum modes, retry
 * attempts, connection and request timeouts (those of its request handler)
 * and the credentials resolved now (so a worker reads with the same
 * identity; call again per run to pick up rotated credentials).
 */
export async function workerClientConfig(client: S3Client): Promise<S3WorkerClientConfig> {
  const c = client.config;
  const endpoint = c.isCustomEndpoint && c.endpoint ? await c.endpoint() : undefined;
  const credentials = await c.credentials();
  const timeouts = timeoutsOf(c.requestHandler);
  return {
    ...(endpoint
      ? {
          endpoint: `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}`,
        }
      : {}),
    region: await c.region(),
    forcePathStyle: c.forcePathStyle === true,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    requestChecksumCalculation: await c.requestChecksumCalculation(),
    responseChecksumValidation: await c.responseChecksumValidation(),
    maxAttempts: await c.maxAttempts(),
    ...(timeouts === undefined ? {} : { httpTimeouts: timeouts }),
  };
}

const clients = new Map<string, S3Client>();

function clientFor(config: S3WorkerClientConfig): S3Client {
  const id = JSON.stringify(config);
  let client = clients.get(id);
  if (client === undefined) {
    const { httpTimeouts: timeouts, ...settings } = config;
    client = new S3Client({
      ...settings,
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
      ...(timeouts === undefined ? {} : httpTimeouts(timeouts)),
    });
    client.middlewareStack.add(nameTimeouts as never, {
      step: 'initialize',
      name: 'streamkpiNameTimeouts',
    });
    clients.set(id, client);
  }
  return client;
}

type Handler = (args: { readonly input: Record<string, unknown> }) => Promise<unknown>;

/**
 * A request that timed out (after the SDK's retries: `initialize` wraps
 * them) fails as a {@link RequestTimeoutError} naming it, as on the caller's
 * clients.
 */
function nameTimeouts(next: Handler, context: { readonly commandName?: string }): Handler {
  return async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (!isTimeoutError(error)) throw error;
      throw new RequestTimeoutError(describeRequest('S3', context.commandName, args.input ?? {}), {
        cause: error,
      });
    }
  };
}

export default createAggregateWorkerTask(async (raw, signal) => {
  const input = raw as S3WorkerInput;
  if (typeof input?.bucket !== 'string' || typeof input.key !== 'string') {
    throw new PipelineError(
      'POOL_INPUT',
      'Expected the S3 worker input `{ bucket, key, etag?, client }`',
    );
  }
  const opened = await openObject({
    client: clientFor(input.client ?? {}),
    bucket: input.bucket,
    key: input.key,
    ...(input.etag ? { etag: input.etag } : {}),
    ...(input.maxResumes === undefined ? {} : { maxResumes: input.maxResumes }),
    ...(signal ? { signal } : {}),
  });
  return opened.body;
});
