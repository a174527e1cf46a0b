/**
 * The CDK app, synthesized once: the template's resources and settings
 * (aws-cdk-lib/assertions), then the **bundled Lambda asset** from the cloud
 * assembly, imported and invoked with real-shaped SQS, Distributed Map,
 * scheduled and S3 payloads against s3rver + dynalite, end to end to the
 * table (== the KPI oracle). S3 requests are counted by a proxy in front of
 * s3rver (the bundle's own S3 client talks through it).
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { bundleSuite } from './helpers/bundle-suite.js';
import { PARAMS, type Synthesized, synthesize } from './helpers/synth.js';
import {
  checkAlarms,
  checkBackfill,
  expectedHandlerStatements,
  only,
  statementsOf,
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
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    assert.ok(id.startsWith('Kpis'));
    synth.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
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
    const fnId = only(t, 'AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
    const fn = t.findResources('AWS::Lambda::Function')[fnId] as {
      Properties: { Role: { 'Fn::GetAtt': string[] } };
    };
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const bucket = only(t, 'AWS::S3::Bucket');
    const table = only(t, 'AWS::DynamoDB::GlobalTable');
    const queue = only(t, 'AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({}) });
    const logs = only(t, 'AWS::Logs::LogGroup');
    const statements = statementsOf(t, roleId);
    assert.deepEqual(
      statements.filter((s) => !s.actions[0]?.startsWith('logs:')),
      expectedHandlerStatements(`\${${bucket}.Arn}`, `\${${table}.Arn}`, `\${${queue}.Arn}`),
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
    const section = readme.slice(readme.indexOf('## Deploy to AWS'));
    assert.ok(section.length > 100, 'README has a "Deploy to AWS" section');
    const { S3_ACCESS, DYNAMODB_ACTIONS } = await import('../src/stack/permissions.js');
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
    const dynamoRow = section.split('\n').find((l) => l.startsWith('| DynamoDB')) ?? '';
    assert.deepEqual(
      [...dynamoRow.matchAll(/`(dynamodb:[A-Za-z]+)`/g)].map((m) => m[1]),
      [...DYNAMODB_ACTIONS],
    );
  });
});

describe('bundled handler (the asset in cdk.out)', () => {
  bundleSuite(() => synth);
});
