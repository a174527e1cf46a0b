/**
 * Every `run` and `watch` pass leaves a run record in the state store
 * (`state/runs/`), read back by `kpis status`. A record that cannot be
 * written is logged, never fatal: the pass itself is done.
 */
import {
  failedRunRecordOf,
  type RunKpisSummary,
  type RunRecord,
  type RunRecordContext,
  runRecordOf,
  writeRunRecord,
} from '@streamkpi/dynamo-sink';
import type { RunArgs } from './args.js';
import type { AwsClients } from './aws-clients.js';
import type { CliContext } from './context.js';
import { errorMessage } from './errors.js';

/** Writes the record of a pass (a summary) or of a pass that threw (an error). */
export async function recordPass(
  args: RunArgs,
  clients: AwsClients,
  ctx: CliContext,
  outcome: { readonly summary: RunKpisSummary } | { readonly error: unknown },
  context: Omit<RunRecordContext, 'command'>,
): Promise<RunRecord> {
  const full = { ...context, command: args.command };
  const record =
    'summary' in outcome
      ? runRecordOf(outcome.summary, full)
      : failedRunRecordOf(outcome.error, full);
  try {
    const key = await writeRunRecord(record, {
      s3: clients.s3,
      bucket: args.bucket,
      prefix: args.prefix,
    });
    ctx.logger.debug({ key }, 'run record written');
  } catch (error) {
    ctx.logger.warn(
      { runId: record.runId },
      `could not write the run record: ${errorMessage(error)}`,
    );
  }
  return record;
}
