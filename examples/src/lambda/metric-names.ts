/**
 * The handler's CloudWatch metrics (EMF), shared by the handler that emits
 * them and the stack whose alarms watch them.
 */

/** CloudWatch namespace of every handler metric. */
export const METRIC_NAMESPACE = 'StreamKpi';
/** The `service` dimension (Powertools' default dimension). */
export const SERVICE_NAME = 'streamkpi';

/** Metric names, one per counter of a run summary. */
export const METRIC = {
  rowsRead: 'RowsRead',
  rowsAggregated: 'RowsAggregated',
  /** Rows sent to the dead letter. */
  rowsRejected: 'RowsRejected',
  objectsProcessed: 'ObjectsProcessed',
  objectsSkipped: 'ObjectsSkipped',
  /** Stream files whose header check failed (moved to `rejected/`). */
  filesRejected: 'FilesRejected',
  objectsFailed: 'ObjectsFailed',
  itemsWritten: 'ItemsWritten',
  /** Milliseconds from an object's landing (event time or LastModified) to its commit. */
  commitLatency: 'CommitLatency',
  /** Milliseconds of one run. */
  runDuration: 'RunDuration',
  /** 1 when the run reused the cached songs table. */
  referenceReused: 'ReferenceReused',
} as const;
