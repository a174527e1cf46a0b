/**
 * Assertions on the synthesized template, one function per part of the
 * stack, shared by the stack test.
 */
import assert from 'node:assert/strict';
import type { Template } from 'aws-cdk-lib/assertions';
import { METRIC, METRIC_NAMESPACE } from '../../../src/lambda/metric-names.js';
import { flatten, PARAMS } from './synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Logical id of the only resource of `type` whose properties match. */
export function only(template: Template, type: string, props: unknown = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  assert.equal(found.length, 1, `expected one ${type}, found ${found.join(', ') || 'none'}`);
  return found[0] as string;
}

/** Every IAM statement of every policy attached to `roleId`. */
export function statementsOf(template: Template, roleId: string) {
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  const statements: Array<{ Action: string | string[]; Resource: unknown; Effect: string }> = [];
  for (const policy of Object.values(policies)) {
    const roles = policy.Properties.Roles as Array<{ Ref: string }>;
    if (!roles.some((r) => r.Ref === roleId)) continue;
    const doc = policy.Properties.PolicyDocument as { Statement: typeof statements };
    statements.push(...doc.Statement);
  }
  return statements.map((s) => ({
    actions: [s.Action].flat().sort(),
    resources: [s.Resource].flat().map(flatten).sort(),
    effect: s.Effect,
  }));
}

/** ARNs of the handler's resources, written as `${Logical.Arn}`. */
export interface ExpectedArns {
  readonly bucketArn: string;
  readonly tableArn: string;
  readonly stateTableArn: string;
  readonly queueArn: string;
}

/**
 * The handler's expected statements, spelled out (not derived from the
 * statements the stack builds): what the runner does, folder by folder and
 * table by table.
 */
export function expectedHandlerStatements(arns: ExpectedArns) {
  const { bucketArn, tableArn, stateTableArn, queueArn } = arns;
  const objects = (folders: readonly string[]) =>
    folders.map((f) => `${bucketArn}/${PARAMS.prefix}${f}*`);
  const marker = `${bucketArn}/${PARAMS.prefix}streams/`;
  return [
    { actions: ['s3:ListBucket'], resources: [bucketArn], effect: 'Allow' },
    {
      actions: ['s3:GetObject'],
      resources: objects(['songs/', 'users/', 'streams/', 'state/', 'archive/']).sort(),
      effect: 'Allow',
    },
    {
      actions: ['s3:PutObject'],
      resources: [...objects(['state/', 'dead-letter/', 'rejected/', 'archive/']), marker].sort(),
      effect: 'Allow',
    },
    {
      actions: ['s3:DeleteObject'],
      resources: objects(['streams/', 'dead-letter/']).sort(),
      effect: 'Allow',
    },
    // Conditional single-item puts of the changed KPI items; nothing else.
    { actions: ['dynamodb:PutItem'], resources: [tableArn], effect: 'Allow' },
    // Heads (get, compare-and-swap put, update `written`) and claims (put, delete).
    {
      actions: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
      resources: [stateTableArn],
      effect: 'Allow',
    },
    // Added by the SQS event source: its queue only.
    {
      actions: [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ],
      resources: [queueArn],
      effect: 'Allow',
    },
  ];
}

/** The five alarms, each publishing to the alert topic. */
export function checkAlarms(template: Template, topicId: string, dlqId: string, fnId: string) {
  const alarms = template.findResources('AWS::CloudWatch::Alarm') as Resources;
  const byMetric = new Map(
    Object.values(alarms).map((a) => [String(a.Properties.MetricName), a.Properties]),
  );
  assert.deepEqual(
    [...byMetric.keys()].sort(),
    [
      'ApproximateNumberOfMessagesVisible',
      'Errors',
      METRIC.rowsRejected,
      METRIC.filesRejected,
      'Throttles',
    ].sort(),
  );
  for (const a of byMetric.values()) {
    assert.deepEqual(a.AlarmActions, [{ Ref: topicId }]);
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
  }
  const dlq = byMetric.get('ApproximateNumberOfMessagesVisible');
  assert.deepEqual(dlq?.Dimensions, [
    { Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } },
  ]);
  assert.equal(dlq?.Threshold, 0);
  for (const name of ['Errors', 'Throttles'])
    assert.deepEqual(byMetric.get(name)?.Dimensions, [
      { Name: 'FunctionName', Value: { Ref: fnId } },
    ]);
  const rows = byMetric.get(METRIC.rowsRejected);
  assert.equal(rows?.Namespace, METRIC_NAMESPACE);
  assert.equal(rows?.Threshold, PARAMS.deadLetterRowsThreshold);
  assert.deepEqual(rows?.Dimensions, [{ Name: 'service', Value: 'streamkpi' }]);
  assert.equal(byMetric.get(METRIC.filesRejected)?.Threshold, 0);
  template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: PARAMS.alertEmail,
    TopicArn: { Ref: topicId },
  });
}

interface MapState {
  readonly Type: string;
  readonly ItemReader: { readonly Resource: string; readonly Arguments: unknown };
  readonly ItemBatcher: { readonly MaxItemsPerBatch: number; readonly BatchInput: unknown };
  readonly MaxConcurrency: number;
  readonly ToleratedFailurePercentage: number;
  readonly ItemProcessor: {
    readonly ProcessorConfig: { readonly Mode: string };
    readonly StartAt: string;
    readonly States: Record<string, { readonly Resource: string; readonly Arguments: unknown }>;
  };
  readonly Output: Record<string, string>;
}

/** The backfill: Distributed Map over `<prefix>streams/`, batched, invoking the handler. */
export function checkBackfill(template: Template, bucketId: string, fnId: string) {
  const smId = only(template, 'AWS::StepFunctions::StateMachine');
  const sm = (template.findResources('AWS::StepFunctions::StateMachine') as Resources)[smId];
  const definition = JSON.parse(flatten(sm?.Properties.DefinitionString)) as {
    QueryLanguage: string;
    StartAt: string;
    States: Record<string, Record<string, unknown>>;
  };
  assert.equal(definition.QueryLanguage, 'JSONata');
  const map = definition.States[definition.StartAt] as unknown as MapState;
  assert.equal(map.Type, 'Map');
  assert.deepEqual(map.ItemReader.Resource, `arn:\${AWS::Partition}:states:::s3:listObjectsV2`);
  assert.deepEqual(map.ItemReader.Arguments, {
    Bucket: `\${${bucketId}}`,
    Prefix: `${PARAMS.prefix}streams/`,
  });
  assert.equal(map.ItemBatcher.MaxItemsPerBatch, PARAMS.backfillBatchSize);
  assert.deepEqual(map.ItemBatcher.BatchInput, { bucket: `\${${bucketId}}`, backfill: true });
  assert.equal(map.MaxConcurrency, PARAMS.backfillConcurrency);
  assert.equal(map.ToleratedFailurePercentage, PARAMS.backfillToleratedFailurePercentage);
  assert.equal(map.ItemProcessor.ProcessorConfig.Mode, 'DISTRIBUTED');
  const child = map.ItemProcessor.States[map.ItemProcessor.StartAt];
  assert.equal(child?.Resource, `arn:\${AWS::Partition}:states:::lambda:invoke`);
  assert.deepEqual(child?.Arguments, {
    FunctionName: `\${${fnId}.Arn}`,
    Payload: '{% $states.input %}',
  });
  assert.equal(map.Output.rowsRead, '{% $sum($states.result.rowsRead) %}');
  assert.equal(map.Output.batches, '{% $count($states.result) %}');
  return smId;
}
