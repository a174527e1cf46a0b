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
  /**
   * Zero-byte folder markers put back when missing after an archive or a
   * reject moved the last object out (the marker key itself, no `*`).
   */
  marker: ['streams/'],
} as const;

/**
 * DynamoDB actions on the KPI table: the commit's conditional single-item
 * puts (`putItemsIfNewer`). The stack owns the table (no DescribeTable or
 * CreateTable) and the handler never reads it.
 */
export const DYNAMODB_ACTIONS = ['dynamodb:PutItem'] as const;

/**
 * DynamoDB actions on the state table (`createStateTable`): GetItem of a
 * date's head, PutItem of a head (compare-and-swap) or of a claim,
 * UpdateItem of a head's `written`, DeleteItem of a released claim.
 */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/** The resources the handler's statements name. */
export interface HandlerResources {
  readonly bucketArn: string;
  /** Prefix above the folders (`''` or ending `/`). */
  readonly prefix: string;
  readonly tableArn: string;
  readonly stateTableArn: string;
}

/** The statements for the bucket, the prefix and the two tables. */
export function handlerStatements(r: HandlerResources): iam.PolicyStatement[] {
  const { bucketArn, prefix } = r;
  const objects = (folders: readonly string[]) => folders.map((f) => `${bucketArn}/${prefix}${f}*`);
  return [
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }),
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects(S3_ACCESS.read) }),
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [
        ...objects(S3_ACCESS.write),
        ...S3_ACCESS.marker.map((f) => `${bucketArn}/${prefix}${f}`),
      ],
    }),
    new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: objects(S3_ACCESS.delete) }),
    new iam.PolicyStatement({ actions: [...DYNAMODB_ACTIONS], resources: [r.tableArn] }),
    new iam.PolicyStatement({ actions: [...STATE_TABLE_ACTIONS], resources: [r.stateTableArn] }),
  ];
}
