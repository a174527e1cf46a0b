import { PipelineError, type PipelineErrorOptions } from '@streamkpi/core';

/** The primary key of a KPI item: partition key `date`, sort key `track_genre`. */
export interface KpiKey {
  readonly date: string;
  readonly track_genre: string;
}

/**
 * The KPI table exists with a different key schema (`TABLE_SCHEMA_MISMATCH`)
 * or did not become ACTIVE in time (`TABLE_NOT_ACTIVE`).
 */
export class TableSchemaError extends PipelineError {
  /** The table concerned. */
  readonly tableName: string;

  constructor(
    code: 'TABLE_SCHEMA_MISMATCH' | 'TABLE_NOT_ACTIVE',
    tableName: string,
    message: string,
    options: PipelineErrorOptions = {},
  ) {
    super(code, message, options);
    this.tableName = tableName;
  }
}

/** A KPI item cannot be written as-is (missing key, a number that is not an exact decimal…). */
export class KpiItemError extends PipelineError {
  /** The attribute at fault. */
  readonly field: string;

  constructor(field: string, message: string, options: PipelineErrorOptions = {}) {
    super('INVALID_KPI_ITEM', message, options);
    this.field = field;
  }
}

/** Why a write gave up. */
export type BatchWriteErrorCode = 'WRITE_BUDGET_EXHAUSTED' | 'WRITE_FAILED' | 'ABORTED';

/** Counters of one write call or of a writer's lifetime. */
export interface BatchWriteMetrics {
  /** Items DynamoDB accepted (each counted once, however many attempts it took). */
  itemsWritten: number;
  /** BatchWriteItem / PutItem requests sent, first attempts and retries. */
  requests: number;
  /** Requests that were retries (after UnprocessedItems or a throttling error). */
  retries: number;
  /** Items re-sent because DynamoDB returned them in `UnprocessedItems`. */
  unprocessedResent: number;
  /** Requests rejected with a throttling error. */
  throttled: number;
  /** Items dropped because a later item in the same write had the same key. */
  duplicatesDropped: number;
}

/** A fresh set of zeroed counters. */
export function emptyMetrics(): BatchWriteMetrics {
  return {
    itemsWritten: 0,
    requests: 0,
    retries: 0,
    unprocessedResent: 0,
    throttled: 0,
    duplicatesDropped: 0,
  };
}

/** How many keys an error message names before eliding the rest. */
const MESSAGE_KEYS = 20;

/** Formats keys for an error message: `2024-06-25/pop, 2024-06-25/rock, … and 3 more`. */
export function describeKeys(keys: readonly KpiKey[]): string {
  const shown = keys.slice(0, MESSAGE_KEYS).map((k) => `${k.date}/${k.track_genre}`);
  const more = keys.length > MESSAGE_KEYS ? ` … and ${keys.length - MESSAGE_KEYS} more` : '';
  return `${shown.join(', ')}${more}`;
}

/**
 * A write did not complete. `unwritten` lists every item key not confirmed
 * written (whose state in the table is therefore unknown or old); `metrics`
 * counts what was done before giving up.
 */
export class BatchWriteError extends PipelineError {
  override readonly code: BatchWriteErrorCode;
  /** Keys of the items not confirmed written. */
  readonly unwritten: readonly KpiKey[];
  /** Counters up to the failure. */
  readonly metrics: Readonly<BatchWriteMetrics>;

  constructor(
    code: BatchWriteErrorCode,
    message: string,
    unwritten: readonly KpiKey[],
    metrics: Readonly<BatchWriteMetrics>,
    options: PipelineErrorOptions = {},
  ) {
    super(code, message, options);
    this.code = code;
    this.unwritten = unwritten;
    this.metrics = metrics;
  }
}
