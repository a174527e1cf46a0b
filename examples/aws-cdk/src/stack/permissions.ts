/**
 * The handler's IAM statements: exactly the README's table ("Deploy to AWS",
 * permissions). Object actions are scoped to the folders below the prefix
 * that need them; the only bucket-level action is `s3:ListBucket`, without a
 * prefix condition because S3 answers a GET or HEAD of a missing key with 404
 * (which the runner relies on for duplicate events) only to identities that
 * may list the bucket.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

/** Folders (below the prefix) and what the handler does there. */
export const S3_ACCESS = {
  read: ['songs/', 'users/', 'streams/', 'state/', 'archive/'],
  write: ['state/', 'dead-letter/', 'rejected/', 'archive/'],
  delete: ['streams/', 'dead-letter/'],
} as const;

/** DynamoDB actions on the KPI table. */
export const DYNAMODB_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
] as const;

/** The statements for a bucket ARN, a prefix and the table ARN. */
export function handlerStatements(
  bucketArn: string,
  prefix: string,
  tableArn: string,
): iam.PolicyStatement[] {
  const objects = (folders: readonly string[]) => folders.map((f) => `${bucketArn}/${prefix}${f}*`);
  return [
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }),
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects(S3_ACCESS.read) }),
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: objects(S3_ACCESS.write) }),
    new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: objects(S3_ACCESS.delete) }),
    new iam.PolicyStatement({ actions: [...DYNAMODB_ACTIONS], resources: [tableArn] }),
  ];
}
