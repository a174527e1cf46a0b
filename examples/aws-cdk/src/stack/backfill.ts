/**
 * The backfill: a Step Functions Distributed Map over `<prefix>streams/`
 * (ItemReader: S3 ListObjectsV2), batched, each child invoking the KPI
 * handler with `{ Items, BatchInput }`; the execution's output sums the
 * children's summaries (JSONata).
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** Settings of {@link KpiBackfill}. */
export interface KpiBackfillProps {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly handler: lambda.IFunction;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly toleratedFailurePercentage: number;
  /** Upper bound of one child (the handler's timeout plus margin). */
  readonly childTimeout: Duration;
}

/** Sum of a field over the children that succeeded. */
const total = (field: string) => `{% $sum($states.result.${field}) %}`;

/** The backfill state machine. */
export class KpiBackfill extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: KpiBackfillProps) {
    super(scope, id);
    const invoke = tasks.LambdaInvoke.jsonata(this, 'Aggregate batch', {
      lambdaFunction: props.handler,
      payload: sfn.TaskInput.fromText('{% $states.input %}'),
      outputs: '{% $states.result.Payload %}',
      taskTimeout: sfn.Timeout.duration(props.childTimeout),
      retryOnServiceExceptions: true,
    });
    const map = sfn.DistributedMap.jsonata(this, 'Backfill streams', {
      itemReader: new sfn.S3ObjectsItemReader({
        bucket: props.bucket,
        prefix: `${props.prefix}streams/`,
      }),
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: props.batchSize,
        batchInput: { bucket: props.bucket.bucketName, backfill: true },
      }),
      maxConcurrency: props.concurrency,
      toleratedFailurePercentage: props.toleratedFailurePercentage,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      outputs: {
        batches: '{% $count($states.result) %}',
        objects: total('objects'),
        processed: total('processed'),
        skipped: total('skipped'),
        rejected: total('rejected'),
        failed: total('failed'),
        claimed: total('claimed'),
        rowsRead: total('rowsRead'),
        rowsAggregated: total('rowsAggregated'),
        rowsRejected: total('rowsRejected'),
        itemsWritten: total('itemsWritten'),
      },
    });
    map.itemProcessor(invoke);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(map),
      timeout: Duration.hours(24),
    });
  }
}
