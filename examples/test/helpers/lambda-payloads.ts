/** Lambda payloads as AWS delivers them: S3 notifications in SQS, Distributed Map batches, scheduled events. */

/** A key as S3 writes it into event notifications: URL-encoded, spaces as `+`. */
export function eventKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%2F', '/').replaceAll('%20', '+');
}

/** An `ObjectCreated:Put` notification for one object. */
export function s3Notification(bucket: string, key: string, eventTime = new Date().toISOString()) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime,
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:EXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'kpi-streams',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'EXAMPLE' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: eventKey(key),
            size: 1,
            eTag: '0123456789abcdef',
            sequencer: '0055AED6DCD90281E5',
          },
        },
      },
    ],
  };
}

/** One SQS record as the Lambda event source mapping delivers it. */
export function sqsRecord(messageId: string, body: string, receiveCount = 1) {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1719349200000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1719349200001',
    },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:StreamKpi-Arrivals',
    awsRegion: 'us-east-1',
  };
}

/** An SQS event. */
export function sqsEvent(...records: ReturnType<typeof sqsRecord>[]) {
  return { Records: records };
}

/** A Distributed Map child's input: ItemBatcher over S3 ListObjectsV2 items. */
export function backfillBatch(
  bucket: string,
  items: ReadonlyArray<{ key: string; etag: string; size: number; lastModified: Date }>,
) {
  return {
    Items: items.map((i) => ({
      Etag: `"${i.etag}"`,
      Key: i.key,
      LastModified: i.lastModified.toUTCString(),
      Size: i.size,
      StorageClass: 'STANDARD',
    })),
    BatchInput: { bucket, backfill: true },
  };
}

/** An EventBridge scheduled event. */
export function scheduledEvent() {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2024-06-26T12:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/StreamKpi-Reconcile'],
    detail: {},
  };
}

/** A Lambda context for a function of `timeoutMs`. */
export function lambdaContext(requestId: string, timeoutMs = 120_000) {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'StreamKpi-Handler',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:StreamKpi-Handler',
    memoryLimitInMB: '2048',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/StreamKpi-Handler',
    logStreamName: '2024/06/26/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
