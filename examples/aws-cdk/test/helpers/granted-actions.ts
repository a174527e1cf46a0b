/**
 * The IAM actions the bundled handler really needs, taken from its traffic:
 * every S3 request (seen by the proxy in front of s3rver) and every DynamoDB
 * request (seen by the proxy in front of the emulator) becomes the action
 * and resource ARN IAM would authorize, to compare with the handler role's
 * statements in the synthesized template.
 */

import type { SeenRequest } from '@streamkpi/s3-source/testing';
import type { Template } from 'aws-cdk-lib/assertions';
import { only, statementsOf } from './template-checks.js';

/** One authorization: an action on a resource ARN. */
export interface Authorization {
  readonly action: string;
  readonly resource: string;
}

/** The handler role's statements (logs and the event source's SQS ones included). */
export function handlerRoleStatements(template: Template) {
  const fnId = only(template, 'AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
  const fn = template.findResources('AWS::Lambda::Function')[fnId] as {
    Properties: { Role: { 'Fn::GetAtt': string[] } };
  };
  return statementsOf(template, fn.Properties.Role['Fn::GetAtt'][0] as string);
}

const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

/**
 * What IAM checks for one path-style S3 request (AWS's "actions, resources
 * and condition keys for Amazon S3"): HEAD and GET of a key and the source
 * of a copy need `s3:GetObject`, PUT (copy target included) `s3:PutObject`,
 * DELETE `s3:DeleteObject`, a listing `s3:ListBucket` on the bucket. Any
 * other request throws, so a new kind of call cannot slip past the check.
 */
export function s3Authorizations(request: SeenRequest): Authorization[] {
  const url = new URL(request.url, 'http://s3.local');
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const method = request.method;
  if (key === '' && method === 'GET' && url.searchParams.get('list-type') === '2')
    return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` }];
  // The SDK names the operation in `x-id`; any other parameter is another kind of request.
  const params = [...url.searchParams.keys()].filter((k) => k !== 'x-id');
  if (key !== '' && params.length === 0) {
    if (method === 'GET' || method === 'HEAD')
      return [{ action: 's3:GetObject', resource: objectArn(bucket, key) }];
    if (method === 'DELETE')
      return [{ action: 's3:DeleteObject', resource: objectArn(bucket, key) }];
    if (method === 'PUT') {
      const put = { action: 's3:PutObject', resource: objectArn(bucket, key) };
      if (request.copySource === undefined) return [put];
      const source = decodeURIComponent(request.copySource.replace(/^\//, '').split('?')[0] ?? '');
      return [put, { action: 's3:GetObject', resource: `arn:aws:s3:::${source}` }];
    }
  }
  throw new Error(`No IAM mapping for S3 request ${method} ${request.url}`);
}

/** The ARN of table `name` in the tests' account and region. */
export const tableArn = (name: string) => `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`;

/** `dynamodb:<Operation>` on the table named in the request, as IAM checks it. */
export function dynamoAuthorization(call: {
  readonly operation: string;
  readonly table?: string;
}): Authorization {
  if (call.table === undefined)
    throw new Error(`DynamoDB request ${call.operation} names no table`);
  return { action: `dynamodb:${call.operation}`, resource: tableArn(call.table) };
}

/**
 * Statements with `${Logical.Arn}` placeholders resolved from `arns`
 * (logical id → ARN), resource patterns as regular expressions (`*` spans
 * `/`, as in IAM).
 */
export function resolveGrants(
  statements: ReadonlyArray<{ actions: readonly string[]; resources: readonly string[] }>,
  arns: ReadonlyMap<string, string>,
) {
  const resolve = (pattern: string) =>
    pattern.replace(/\$\{([A-Za-z0-9]+)\.Arn\}/g, (whole, id: string) => arns.get(id) ?? whole);
  return statements.map((s) => ({
    actions: s.actions,
    resources: s.resources.map(resolve),
    patterns: s.resources
      .map(resolve)
      .map(
        (r) =>
          new RegExp(`^${r.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`, 'u'),
      ),
  }));
}

/** True when some grant allows `a`. */
export function isAllowed(grants: ReturnType<typeof resolveGrants>, a: Authorization): boolean {
  return grants.some(
    (g) => g.actions.includes(a.action) && g.patterns.some((p) => p.test(a.resource)),
  );
}

/** Sorted distinct actions of `authorizations` per resource (or per resource pattern via `group`). */
export function actionsBy(
  authorizations: readonly Authorization[],
  group: (a: Authorization) => string = (a) => a.resource,
): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const a of authorizations) {
    const k = group(a);
    out.set(k, (out.get(k) ?? new Set()).add(a.action));
  }
  return Object.fromEntries([...out].map(([k, v]) => [k, [...v].sort()]).sort());
}
