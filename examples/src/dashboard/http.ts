/**
 * The dashboard's HTTP vocabulary: its error class, the mapping from AWS SDK
 * and library errors to status codes, and JSON responses.
 */
import type { ServerResponse } from 'node:http';
import { OptionsError, PipelineError } from '@streamkpi/core';
import { errorCode, errorMessage } from '../cli/errors.js';

/** An API answer other than 200; the page shows `message` as it is. */
export class DashboardApiError extends PipelineError {
  /** HTTP status sent with it. */
  readonly status: number;

  constructor(status: number, code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.status = status;
  }
}

/** Body of every error response: `{ error: { code, message } }`. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
]);

/**
 * Maps what a handler threw to a status and body. A missing table or bucket
 * is the operator's to fix (404, naming it); an unreachable endpoint or
 * refused credentials is the upstream's (502); anything else is a 500 whose
 * message still says what failed.
 */
export function toApiError(
  error: unknown,
  where: { readonly table: string; readonly bucket?: string | undefined },
): DashboardApiError {
  if (error instanceof DashboardApiError) return error;
  if (error instanceof OptionsError) {
    return new DashboardApiError(400, 'BAD_REQUEST', error.message, { cause: error });
  }
  const code = errorCode(error);
  if (code === 'ResourceNotFoundException') {
    return new DashboardApiError(
      404,
      'TABLE_NOT_FOUND',
      `DynamoDB table "${where.table}" does not exist (yet): start the dashboard with the --table that \`kpis run\` writes, or run the pipeline first`,
      { cause: error },
    );
  }
  if (code === 'NoSuchBucket') {
    return new DashboardApiError(
      404,
      'BUCKET_NOT_FOUND',
      `S3 bucket "${where.bucket ?? ''}" does not exist`,
      { cause: error },
    );
  }
  if (UNREACHABLE.has(code)) {
    return new DashboardApiError(
      502,
      'UPSTREAM_UNREACHABLE',
      `Cannot reach the AWS endpoint (${code}); check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB`,
      { cause: error },
    );
  }
  if (DENIED.has(code)) {
    return new DashboardApiError(502, 'UPSTREAM_DENIED', `AWS refused the request: ${code}`, {
      cause: error,
    });
  }
  return new DashboardApiError(500, code, errorMessage(error), { cause: error });
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends an error response in the {@link ApiErrorBody} shape. */
export function sendError(res: ServerResponse, error: DashboardApiError): void {
  const body: ApiErrorBody = { error: { code: error.code, message: error.message } };
  sendJson(res, error.status, body);
}

/** Sends a static asset (`no-cache`: the browser revalidates, a restart serves new files). */
export function sendAsset(res: ServerResponse, contentType: string, body: Buffer): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'cache-control': 'no-cache',
    'content-type': contentType,
    'content-length': body.length,
    // Everything the page needs comes from this server: no CDN, no inline script.
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}
