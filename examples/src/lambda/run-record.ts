/**
 * Every run of the handler leaves a run record in the state store
 * (`<prefix>state/runs/`, command `lambda`), as `kpis run` does, so
 * `kpis status` and the dashboard show Lambda runs next to local ones. A
 * record that cannot be written is logged and counted, never fatal: the run
 * itself is done (and its exact audit is the manifests under `state/`).
 */
import {
  failedRunRecordOf,
  type RunKpisSummary,
  type RunRecordContext,
  runRecordOf,
  writeRunRecord,
} from '@streamkpi/dynamo-sink';
import type { KpiHandlerRuntime } from './environment.js';

/** The `command` of the handler's run records. */
export const LAMBDA_RUN_COMMAND = 'lambda';

/** Writes the record of a run (its summary) or of a run that threw; resolves to its key, or undefined when it could not be written. */
export async function recordRun(
  rt: KpiHandlerRuntime,
  bucket: string,
  outcome: { readonly summary: RunKpisSummary } | { readonly error: unknown },
  context: Omit<RunRecordContext, 'command'>,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const full = { ...context, command: LAMBDA_RUN_COMMAND };
  const record =
    'summary' in outcome
      ? runRecordOf(outcome.summary, full)
      : failedRunRecordOf(outcome.error, full);
  try {
    return await writeRunRecord(record, {
      s3: rt.s3,
      bucket,
      prefix: rt.settings.prefix,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    rt.logger.warn('Could not write the run record', {
      runId: record.runId,
      error: error as Error,
    });
    return undefined;
  }
}
