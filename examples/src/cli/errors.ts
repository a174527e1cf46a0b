/**
 * Exit codes of the `kpis` CLI and the mapping from errors to them.
 */
import { OptionsError, PipelineError } from '@streamkpi/core';

/** Exit codes: documented in the CLI usage text and the README. */
export const EXIT = {
  /** Done: every object committed or quarantined. */
  ok: 0,
  /** Finished, but some object, date or file failed and is left for the next run. */
  failures: 1,
  /** Bad flags or usage. */
  usage: 2,
  /** Setup failed: missing bucket/table/input/output folder, no region, unreachable endpoint, bad credentials. */
  setup: 3,
  /** Stopped by Ctrl-C or SIGTERM. */
  interrupted: 130,
} as const;

/** A bad command line; the message names the flag. */
export class UsageError extends PipelineError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A setup problem found by the CLI itself (missing output folder…); exit code 3. */
export class SetupError extends PipelineError {}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const CREDENTIAL_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
  'AccessDenied',
  'AccessDeniedException',
]);

const MISSING_NAMES = new Set(['NoSuchBucket', 'ResourceNotFoundException']);

/** How the CLI reports a fatal error. */
export interface Classified {
  readonly exitCode: number;
  /** One line for the user. */
  readonly message: string;
  /** Stable code for logs and alerts, e.g. `ECONNREFUSED`, `NoSuchBucket`. */
  readonly code: string;
}

/** The error itself and its `cause`/`errors` chain (AggregateError from dual-stack connects). */
function* chain(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 5 || typeof error !== 'object' || error === null) return;
  const e = error as Record<string, unknown>;
  yield e;
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
  if (e.cause !== undefined) yield* chain(e.cause, depth + 1);
}

/** `name` or `code` of an error, as the AWS SDK and Node set them. */
export function errorCode(error: unknown): string {
  for (const e of chain(error)) {
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  }
  return 'Error';
}

/** The error's message, or its string form. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || String(error);
  return String(error);
}

/**
 * Maps a fatal error to an exit code and a one-line message:
 * usage/options → 2; missing bucket/table/songs, unreachable endpoint,
 * bad credentials → 3; anything else → 1.
 */
export function classifyError(error: unknown, what: { service?: string } = {}): Classified {
  if (error instanceof UsageError || error instanceof OptionsError) {
    return { exitCode: EXIT.usage, message: errorMessage(error), code: 'USAGE' };
  }
  const where = what.service ? ` (${what.service})` : '';
  if (error instanceof SetupError) {
    return { exitCode: EXIT.setup, message: errorMessage(error), code: error.code };
  }
  for (const e of chain(error)) {
    if (typeof e.message === 'string' && /^Region is missing/.test(e.message)) {
      return {
        exitCode: EXIT.setup,
        code: 'NO_REGION',
        message:
          'No AWS region configured. Set AWS_REGION (e.g. export AWS_REGION=eu-west-1), or a region for your AWS_PROFILE in ~/.aws/config.',
      };
    }
    const code = typeof e.code === 'string' ? e.code : undefined;
    const name = typeof e.name === 'string' ? e.name : undefined;
    if (code !== undefined && NETWORK_CODES.has(code)) {
      const address =
        typeof e.address === 'string'
          ? ` ${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}`
          : typeof e.hostname === 'string'
            ? ` ${e.hostname}`
            : '';
      return {
        exitCode: EXIT.setup,
        code,
        message: `Cannot reach the endpoint${where}${address}: ${code}. Check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB and AWS_REGION.`,
      };
    }
    if (name !== undefined && CREDENTIAL_NAMES.has(name)) {
      return {
        exitCode: EXIT.setup,
        code: name,
        message: `Credentials rejected${where}: ${name} — ${errorMessage(e)}. Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE.`,
      };
    }
    if (name !== undefined && MISSING_NAMES.has(name)) {
      return {
        exitCode: EXIT.setup,
        code: name,
        message:
          name === 'NoSuchBucket'
            ? `Bucket not found: ${errorMessage(e)}`
            : `Table not found: ${errorMessage(e)}`,
      };
    }
    if (
      e instanceof PipelineError &&
      (e.code === 'NO_SONGS' ||
        e.code === 'INPUT_NOT_FOUND' ||
        e.code === 'TABLE_SCHEMA_MISMATCH' ||
        e.code === 'TABLE_NOT_ACTIVE')
    ) {
      return { exitCode: EXIT.setup, code: e.code, message: e.message };
    }
  }
  return { exitCode: EXIT.failures, code: errorCode(error), message: errorMessage(error) };
}

/**
 * Prints `kpis <command>: <message>` for a failed command and returns its
 * exit code (see {@link classifyError}).
 */
export function reportFailure(
  command: string,
  error: unknown,
  printError: (text: string) => void,
): number {
  const c = classifyError(error);
  printError(`kpis ${command}: ${c.message}\n`);
  return c.exitCode;
}
