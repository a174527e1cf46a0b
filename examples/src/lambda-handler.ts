/**
 * AWS Lambda entry point of the KPI pipeline (bundled by the CDK app in
 * `examples/aws-cdk/`). Accepts SQS messages with S3 notifications (partial
 * batch responses), Step Functions Distributed Map batches
 * (`{ Items, BatchInput }`), EventBridge scheduled events (reconciliation
 * over the prefix) and direct S3 notifications. Configured by environment
 * variables (`KPI_TABLE` required; `KPI_STATE_TABLE`, `KPI_BUCKET`,
 * `KPI_PREFIX`, `KPI_CREATE_TABLE`, `ARCHIVE_BUCKET`, `ARCHIVE_PREFIX`, `TIME_ZONE`,
 * `SOURCE_TIME_ZONE`, `S3_FORCE_PATH_STYLE`; endpoints, region and
 * credentials from the standard SDK variables; `POWERTOOLS_*` for logs and
 * metrics). Re-delivered events are harmless: the runner skips what it
 * already committed. Every run leaves a run record under
 * `<prefix>state/runs/` (command `lambda`) for `kpis status`.
 *
 * This file is only the entry: `lambda/handler.ts` builds a handler from any
 * runtime (`createKpiHandler`), `lambda/environment.ts` reads the runtime
 * from the environment, `lambda/inputs.ts` tells the event kinds apart.
 */
import type { Context } from 'aws-lambda';
import { type KpiHandlerRuntime, runtimeFromEnv } from './lambda/environment.js';
import { createKpiHandler, type KpiHandler, type KpiHandlerResult } from './lambda/handler.js';
import type { KpiHandlerEvent } from './lambda/inputs.js';

let instance: { readonly runtime: KpiHandlerRuntime; readonly handle: KpiHandler } | undefined;

/**
 * The Lambda handler. The runtime (clients, reference cache, logger, metrics)
 * is created on the first invocation and reused by every later one in the
 * same execution environment.
 */
export async function handler(event: KpiHandlerEvent, context: Context): Promise<KpiHandlerResult> {
  if (instance === undefined) {
    const runtime = runtimeFromEnv();
    instance = { runtime, handle: createKpiHandler(runtime) };
  }
  return instance.handle(event, context);
}

/** The execution environment's runtime, once created (for inspection: reference cache, clients). */
export function currentRuntime(): KpiHandlerRuntime | undefined {
  return instance?.runtime;
}
