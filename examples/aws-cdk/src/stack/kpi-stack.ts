/**
 * The KPI pipeline on AWS: the KPI table and the commit protocol's state
 * table, S3 notifications for `<prefix>streams/` into an SQS queue (with a
 * dead-letter queue) driving the Lambda handler, alarms by e-mail, an hourly
 * reconciliation pass and a Distributed Map backfill. The protocol's state
 * lives in the data bucket under `<prefix>state/` (partials, manifests,
 * snapshots) and in the state table (per-date heads, object claims).
 */
import { fileURLToPath } from 'node:url';
import { STATE_TABLE_TTL_ATTRIBUTE } from '@streamkpi/dynamo-sink';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../../../src/lambda/metric-names.js';
import { KpiAlarms } from './alarms.js';
import { KpiBackfill } from './backfill.js';
import { handlerStatements } from './permissions.js';
import { type KpiStackParams, parseKpiStackParams, stateTableNameOf } from './props.js';

/** Props of {@link KpiStack}: the stack parameters and the usual stack props. */
export type KpiStackProps = StackProps & { readonly params: KpiStackParams };

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Everything the pipeline needs in one stack. */
export class KpiStack extends Stack {
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.TableV2;
  /** The commit protocol's head and claim records: the exactly-once evidence. */
  readonly stateTable: dynamodb.TableV2;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly handler: nodejs.NodejsFunction;
  readonly alarms: KpiAlarms;
  readonly backfill: KpiBackfill;

  constructor(scope: Construct, id: string, props: KpiStackProps) {
    super(scope, id, props);
    const p = parseKpiStackParams(props.params);
    const timeout = Duration.seconds(p.timeoutSeconds);

    // (`Bucket` declares `isWebsite?: boolean`, which strict optional
    // property types do not accept as `IBucket`'s `isWebsite: boolean | undefined`.)
    this.bucket =
      p.bucketName === undefined
        ? (new s3.Bucket(this, 'Data', {
            blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
            encryption: s3.BucketEncryption.S3_MANAGED,
            enforceSSL: true,
            removalPolicy: RemovalPolicy.RETAIN,
          }) as unknown as s3.IBucket)
        : s3.Bucket.fromBucketName(this, 'Data', p.bucketName);

    this.table = new dynamodb.TableV2(this, 'Kpis', {
      ...(p.tableName === undefined ? {} : { tableName: p.tableName }),
      partitionKey: { name: 'date', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'track_genre', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stateTableName = stateTableNameOf(p);
    // What `ensureStateTable` would create (partition key `pk`, S), kept
    // like the KPI table: without it the committed dates cannot be proven.
    this.stateTable = new dynamodb.TableV2(this, 'State', {
      ...(stateTableName === undefined ? {} : { tableName: stateTableName }),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      // Claims left by crashed invocations are deleted once expired; heads never expire.
      timeToLiveAttribute: STATE_TABLE_TTL_ATTRIBUTE,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Arrivals', {
      // AWS's advice for a Lambda event source: at least 6× the function timeout.
      visibilityTimeout: Duration.seconds(p.timeoutSeconds * 6),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: p.maxReceiveCount },
    });
    this.bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.SqsDestination(this.queue),
      { prefix: `${p.prefix}streams/` },
    );

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role instead of AWSLambdaBasicExecutionRole (logs on `*`):
    // log writes to this function's log group only.
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'streamkpi handler: the README permissions, nothing else',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.handler = new nodejs.NodejsFunction(this, 'Handler', {
      role,
      // The handler is the examples package's (`examples/src/lambda-handler.ts`).
      entry: here('../../../src/lambda-handler.ts'),
      handler: 'handler',
      projectRoot: here('../../../..'),
      depsLockFilePath: here('../../../../pnpm-lock.yaml'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: p.memoryMb,
      timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        KPI_TABLE: this.table.tableName,
        KPI_STATE_TABLE: this.stateTable.tableName,
        KPI_BUCKET: this.bucket.bucketName,
        KPI_PREFIX: p.prefix,
        TIME_ZONE: p.timeZone,
        SOURCE_TIME_ZONE: p.sourceTimeZone,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        // The stack owns the tables: the handler needs no CreateTable/DescribeTable.
        KPI_CREATE_TABLE: 'false',
      },
      bundling: bundling(),
    });
    const statements = handlerStatements({
      bucketArn: this.bucket.bucketArn,
      prefix: p.prefix,
      tableArn: this.table.tableArn,
      stateTableArn: this.stateTable.tableArn,
    });
    for (const statement of statements) role.addToPolicy(statement);
    this.handler.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: p.batchSize,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: p.maxConcurrency,
      }),
    );

    new events.Rule(this, 'Reconcile', {
      description: 'Runs the KPI runner over the whole prefix: catches events S3 never delivered',
      schedule: events.Schedule.expression(p.reconcileSchedule),
      targets: [new targets.LambdaFunction(this.handler, { retryAttempts: 2 })],
    });

    this.alarms = new KpiAlarms(this, 'Alarms', {
      alertEmail: p.alertEmail,
      handler: this.handler,
      deadLetterQueue: this.deadLetterQueue,
      rejectedFilesThreshold: p.rejectedFilesThreshold,
      deadLetterRowsThreshold: p.deadLetterRowsThreshold,
    });
    this.backfill = new KpiBackfill(this, 'Backfill', {
      bucket: this.bucket,
      prefix: p.prefix,
      handler: this.handler,
      batchSize: p.backfillBatchSize,
      concurrency: p.backfillConcurrency,
      toleratedFailurePercentage: p.backfillToleratedFailurePercentage,
      childTimeout: timeout.plus(Duration.seconds(30)),
    });

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.tableName });
    new CfnOutput(this, 'BackfillStateMachineArn', {
      value: this.backfill.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
  }
}

/**
 * One ESM file built by esbuild on this machine (no Docker), the AWS SDK
 * included so the deployed code is the tested code. The workspace packages
 * are bundled from their TypeScript sources (`source` export condition).
 */
function bundling(): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: 'node22',
    platform: 'node',
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    sourceMap: false,
    externalModules: [],
    forceDockerBundling: false,
    // Bundled CommonJS dependencies call `require` for Node built-ins.
    banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
    esbuildArgs: { '--conditions': 'source' },
  };
}
