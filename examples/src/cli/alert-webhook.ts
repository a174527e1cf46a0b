/**
 * `--alert-webhook URL`: posts one JSON alert per failure (the original
 * pipeline e-mailed an admin). A failed post is logged, never fatal.
 */
import { errorCode, errorMessage } from './errors.js';

/** The JSON body POSTed to the webhook. */
export interface Alert {
  /**
   * What happened: a stream object, a date commit, a local file or the whole
   * run failed (left for a retry), or a file was quarantined (`rejected`:
   * moved to `rejected/`, sent once per file).
   */
  readonly what: 'object' | 'date' | 'file' | 'run' | 'rejected';
  /** The CLI command, e.g. `run`. */
  readonly command: string;
  /** `s3://bucket/key` or a local file, when an object failed. */
  readonly object?: string;
  /** `YYYY-MM-DD`, when a date commit failed. */
  readonly date?: string;
  readonly error: { readonly code: string; readonly message: string };
  /** ISO time of the failure. */
  readonly time: string;
}

/** Builds an {@link Alert} from an error and where it happened. */
export function alertOf(
  command: string,
  error: unknown,
  where: { readonly object?: string; readonly date?: string; readonly what?: Alert['what'] },
): Alert {
  const what = where.what ?? (where.object ? 'object' : where.date ? 'date' : 'run');
  return {
    what,
    command,
    ...(where.object === undefined ? {} : { object: where.object }),
    ...(where.date === undefined ? {} : { date: where.date }),
    error: { code: errorCode(error), message: errorMessage(error) },
    time: new Date().toISOString(),
  };
}

/** Options of {@link postAlert}. */
export interface PostAlertOptions {
  /** Milliseconds before the post is abandoned. Default 10,000. */
  readonly timeoutMs?: number;
}

/**
 * POSTs `alert` as JSON to `url`. Resolves to `undefined` on a 2xx answer,
 * else to a message saying what went wrong (the caller logs it).
 */
export async function postAlert(
  url: string,
  alert: Alert,
  options: PostAlertOptions = {},
): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.arrayBuffer();
    return response.ok ? undefined : `alert webhook answered HTTP ${response.status}`;
  } catch (error) {
    return `alert webhook failed: ${errorMessage(error)}`;
  }
}
