/**
 * Worker module for `createAggregatePool` (core) that reads stream objects
 * from S3 on the worker thread itself, so bytes never cross threads. Pass
 * {@link S3_WORKER_FILE} as `workerFile` and {@link S3WorkerInput}s as task
 * inputs.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createAggregateWorkerTask, PipelineError, siblingModule } from '@streamkpi/core';
import { openObject } from './read-object.js';

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
 * attempts and the credentials resolved now (so a worker reads with the same
 * identity; call again per run to pick up rotated credentials).
 */
export async function workerClientConfig(client: S3Client): Promise<S3WorkerClientConfig> {
  const c = client.config;
  const endpoint = c.isCustomEndpoint && c.endpoint ? await c.endpoint() : undefined;
  const credentials = await c.credentials();
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
  };
}

const clients = new Map<string, S3Client>();

function clientFor(config: S3WorkerClientConfig): S3Client {
  const id = JSON.stringify(config);
  let client = clients.get(id);
  if (client === undefined) {
    client = new S3Client({
      ...config,
      ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    });
    clients.set(id, client);
  }
  return client;
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
