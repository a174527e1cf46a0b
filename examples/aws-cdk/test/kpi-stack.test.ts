/**
 * The CDK app, synthesized once: the template's resources and settings
 * (aws-cdk-lib/assertions), then the **bundled Lambda asset** from the cloud
 * assembly, imported and invoked with real-shaped SQS, Distributed Map,
 * scheduled and S3 payloads against s3rver + dynalite, then s3rver +
 * DynamoDB Local, end to end to the table (== the KPI oracle). S3 and
 * DynamoDB requests are recorded by proxies in front of the emulators (the
 * bundle's own clients talk through them).
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DYNAMO_BACKENDS } from '@streamkpi/dynamo-sink/testing';
import { Match } from 'aws-cdk-lib/assertions';
import { bundleSuite } from './helpers/bundle-suite.js';
import { handlerRoleStatements } from './helpers/granted-actions.js';
import { PARAMS, type Synthesized, synthesize } from './helpers/synth.js';
import {
  checkAlarms,
  checkBackfill,
  expectedHandlerStatements,
  only,
} from './helpers/template-checks.js';

let synth: Synthesized;
before(async () => {
  synth = await synthesize();
  const size = (await stat(synth.bundle)).size;
  console.log(
    `synth ${synth.synthMs.toFixed(0)} ms; Lambda bundle ${(size / 1024).toFixed(0)} KiB`,
  );
});
after(async () => {
  if (synth) await rm(synth.outdir, { recursive: true, force: true });
});

describe('KPI stack template', () => {
  it('keeps the KPI table on demand, with point-in-time recovery, retained on delete', () => {
    const id = only(synth.template, 'AWS::DynamoDB::GlobalTable', {
      TableName: PARAMS.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'date', KeyType: 'HASH' },
        { AttributeName: 'track_genre', KeyType: 'RANGE' },
      ],
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
    assert.ok(id.startsWith('Kpis'));
    for (const [name, table] of Object.entries(
      synth.template.findResources('AWS::DynamoDB::GlobalTable'),
    )) {
      assert.equal(table.DeletionPolicy, 'Retain', `${name} DeletionPolicy`);
      assert.equal(table.UpdateReplacePolicy, 'Retain', `${name} UpdateReplacePolicy`);
    }
    synth.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it("creates the state table as ensureStateTable would (key pk), on demand, with point-in-time recovery, TTL on the claims' expiry in seconds, retained", () => {
    const t = synth.template;
    const id = only(t, 'AWS::DynamoDB::GlobalTable', {
      TableName: PARAMS.stateTableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAtSeconds', Enabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
    assert.ok(id.startsWith('State'));
    assert.equal(Object.keys(t.findResources('AWS::DynamoDB::GlobalTable')).length, 2);
    // The handler is told its name and may not create it.
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Environment: {
        Variables: Match.objectLike({
          KPI_TABLE: { Ref: kpiTableId() },
          KPI_STATE_TABLE: { Ref: id },
          KPI_CREATE_TABLE: 'false',
        }),
      },
    });
    t.hasOutput('StateTableName', { Value: { Ref: id } });
    t.hasOutput('TableName', { Value: { Ref: kpiTableId() } });
  });

  it('sends streams/ notifications to a queue with a dead-letter redrive and 6× the function timeout', () => {
    const t = synth.template;
    const dlq = only(t, 'AWS::SQS::Queue', { RedrivePolicy: Match.absent() });
    only(t, 'AWS::SQS::Queue', {
      VisibilityTimeout: PARAMS.timeoutSeconds * 6,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] },
        maxReceiveCount: PARAMS.maxReceiveCount,
      },
    });
    t.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: { FilterRules: [{ Name: 'prefix', Value: `${PARAMS.prefix}streams/` }] },
            },
            QueueArn: Match.anyValue(),
          },
        ],
      },
    });
  });

  it('drives the bundled handler from the queue with partial batch responses and a concurrency cap', () => {
    const t = synth.template;
    const fn = only(t, 'AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: PARAMS.memoryMb,
      Timeout: PARAMS.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          KPI_PREFIX: PARAMS.prefix,
          TIME_ZONE: PARAMS.timeZone,
          KPI_CREATE_TABLE: 'false',
          POWERTOOLS_METRICS_NAMESPACE: 'StreamKpi',
        }),
      },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      BatchSize: PARAMS.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: PARAMS.maxConcurrency },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })],
    });
  });

  it('gives the handler exactly the README permissions, scoped to the folders below the prefix', () => {
    const t = synth.template;
    const bucket = only(t, 'AWS::S3::Bucket');
    const table = kpiTableId();
    const state = stateTableId();
    const queue = only(t, 'AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({}) });
    const logs = only(t, 'AWS::Logs::LogGroup');
    const statements = handlerRoleStatements(t);
    assert.deepEqual(
      statements.filter((s) => !s.actions[0]?.startsWith('logs:')),
      expectedHandlerStatements({
        bucketArn: `\${${bucket}.Arn}`,
        tableArn: `\${${table}.Arn}`,
        stateTableArn: `\${${state}.Arn}`,
        queueArn: `\${${queue}.Arn}`,
      }),
    );
    assert.deepEqual(
      statements.filter((s) => s.actions[0]?.startsWith('logs:')),
      [
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`\${${logs}.Arn}`],
          effect: 'Allow',
        },
      ],
    );
    // No managed policy (AWSLambdaBasicExecutionRole would grant logs on `*`).
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    const everyResource = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    assert.doesNotMatch(everyResource, /"Resource":"\*"/);
  });

  it('e-mails every alarm through one SNS topic', () => {
    const t = synth.template;
    const topic = only(t, 'AWS::SNS::Topic');
    const dlq = only(t, 'AWS::SQS::Queue', { RedrivePolicy: Match.absent() });
    const fn = only(t, 'AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
    checkAlarms(t, topic, dlq, fn);
  });

  it('backfills with a Distributed Map over streams/ whose children invoke the handler with a batch of keys', () => {
    const t = synth.template;
    checkBackfill(
      t,
      only(t, 'AWS::S3::Bucket'),
      only(t, 'AWS::Lambda::Function', { Runtime: 'nodejs22.x' }),
    );
  });

  it('lists in the README exactly the folders and actions the stack grants', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const deploy = readme.slice(readme.indexOf('## Deploy to AWS'));
    const start = deploy.indexOf('### Permissions');
    assert.ok(start > 0, 'README has a "Deploy to AWS" section with "Permissions"');
    const end = deploy.indexOf('\n### ', start + 1);
    const section = deploy.slice(start, end < 0 ? undefined : end);
    const { S3_ACCESS, DYNAMODB_ACTIONS, STATE_TABLE_ACTIONS } = await import(
      '../src/stack/permissions.js'
    );
    const row = (action: string) =>
      section.split('\n').find((l) => l.startsWith(`| S3`) && l.includes(`\`${action}\``)) ?? '';
    for (const [action, folders] of [
      ['s3:GetObject', S3_ACCESS.read],
      ['s3:PutObject', S3_ACCESS.write],
      ['s3:DeleteObject', S3_ACCESS.delete],
    ] as const) {
      const listed = [...row(action).matchAll(/`<prefix>([a-z-]+\/)\*`/g)].map((m) => m[1]);
      assert.deepEqual(listed, [...folders], `README row for ${action}`);
    }
    const markers = [...row('s3:PutObject').matchAll(/`<prefix>([a-z-]+\/)`/g)].map((m) => m[1]);
    assert.deepEqual(markers, [...S3_ACCESS.marker], 'README folder markers');
    const dynamoRow = (table: string) =>
      section.split('\n').find((l) => l.startsWith('| DynamoDB') && l.includes(table)) ?? '';
    for (const [table, actions] of [
      ['the KPI table', DYNAMODB_ACTIONS],
      ['the state table', STATE_TABLE_ACTIONS],
    ] as const)
      assert.deepEqual(
        [...dynamoRow(table).matchAll(/`(dynamodb:[A-Za-z]+)`/g)].map((m) => m[1]),
        [...actions],
        `README row for ${table}`,
      );
    assert.equal(
      section.split('\n').filter((l) => l.startsWith('| DynamoDB')).length,
      2,
      'README lists DynamoDB access on two tables only',
    );
  });
});

/** The KPI table's logical id (key `date` + `track_genre`). */
function kpiTableId(): string {
  return only(synth.template, 'AWS::DynamoDB::GlobalTable', {
    KeySchema: Match.arrayWith([{ AttributeName: 'date', KeyType: 'HASH' }]),
  });
}

/** The state table's logical id (key `pk`). */
function stateTableId(): string {
  return only(synth.template, 'AWS::DynamoDB::GlobalTable', {
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  });
}

for (const backend of DYNAMO_BACKENDS) {
  describe(`bundled handler (the asset in cdk.out) against s3rver + ${backend}`, () => {
    bundleSuite(() => synth, backend);
  });
}
