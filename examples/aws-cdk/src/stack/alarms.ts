/**
 * Alarms, all e-mailed through one SNS topic: messages in the dead-letter
 * queue, Lambda errors and throttles, and the handler's own EMF counters of
 * rejected files and dead-letter rows above a threshold.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from '../../../src/lambda/metric-names.js';

/** What {@link KpiAlarms} watches. */
export interface KpiAlarmsProps {
  readonly alertEmail: string;
  readonly handler: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly rejectedFilesThreshold: number;
  readonly deadLetterRowsThreshold: number;
}

/** The alert topic and the alarms that publish to it. */
export class KpiAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: KpiAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'streamkpi alerts' });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    const period = Duration.minutes(5);
    const custom = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period,
      });
    const above = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
    ) =>
      new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    this.alarms = [
      above(
        'DeadLetterQueueMessages',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        0,
        'S3 events that failed every delivery are waiting in the dead-letter queue',
      ),
      above(
        'HandlerErrors',
        props.handler.metricErrors({ period, statistic: 'Sum' }),
        0,
        'The KPI handler failed (see its logs)',
      ),
      above(
        'HandlerThrottles',
        props.handler.metricThrottles({ period, statistic: 'Sum' }),
        0,
        'The KPI handler was throttled',
      ),
      above(
        'RejectedFiles',
        custom(METRIC.filesRejected),
        props.rejectedFilesThreshold,
        'Stream files failed the header check and were moved to rejected/',
      ),
      above(
        'DeadLetterRows',
        custom(METRIC.rowsRejected),
        props.deadLetterRowsThreshold,
        'Stream rows went to the dead letter',
      ),
    ];
    const action = new actions.SnsAction(this.topic);
    for (const alarm of this.alarms) alarm.addAlarmAction(action);
  }
}
