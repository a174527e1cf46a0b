/** The request → IAM authorization mapping the bundle test derives the handler's permissions with. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  actionsBy,
  dynamoAuthorization,
  isAllowed,
  resolveGrants,
  s3Authorizations,
  tableArn,
} from './helpers/granted-actions.js';

const seen = (method: string, url: string, copySource?: string) => ({
  method,
  url,
  range: undefined,
  ifMatch: undefined,
  copySource,
});

describe('granted actions', () => {
  it('maps path-style S3 requests to the action and ARN IAM checks', () => {
    assert.deepEqual(s3Authorizations(seen('GET', '/data?list-type=2&prefix=music%2Fsongs%2F')), [
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::data' },
    ]);
    assert.deepEqual(s3Authorizations(seen('HEAD', '/data/music/streams/June%2025.csv')), [
      { action: 's3:GetObject', resource: 'arn:aws:s3:::data/music/streams/June 25.csv' },
    ]);
    assert.deepEqual(s3Authorizations(seen('GET', '/data/music/songs/s.csv?x-id=GetObject')), [
      { action: 's3:GetObject', resource: 'arn:aws:s3:::data/music/songs/s.csv' },
    ]);
    assert.deepEqual(
      s3Authorizations(
        seen(
          'PUT',
          '/data/music/archive/a%2Bb.csv?x-id=CopyObject',
          'data/music/streams/a%2Bb.csv',
        ),
      ),
      [
        { action: 's3:PutObject', resource: 'arn:aws:s3:::data/music/archive/a+b.csv' },
        { action: 's3:GetObject', resource: 'arn:aws:s3:::data/music/streams/a+b.csv' },
      ],
    );
    assert.deepEqual(s3Authorizations(seen('DELETE', '/data/music/streams/a.csv')), [
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::data/music/streams/a.csv' },
    ]);
  });

  it('refuses a request it has no mapping for, so no new kind of call goes unchecked', () => {
    assert.throws(() => s3Authorizations(seen('POST', '/data?delete')), /No IAM mapping/);
    assert.throws(
      () => s3Authorizations(seen('PUT', '/data/k?partNumber=1&uploadId=u')),
      /No IAM mapping for S3 request PUT/,
    );
    assert.throws(() => dynamoAuthorization({ operation: 'ListTables' }), /names no table/);
  });

  it('allows only the actions on the resources a statement names (`*` spans folders)', () => {
    const grants = resolveGrants(
      [
        { actions: ['s3:GetObject'], resources: [`\${Data.Arn}/music/songs/*`] },
        { actions: ['dynamodb:PutItem'], resources: [`\${Kpis.Arn}`] },
      ],
      new Map([
        ['Data', 'arn:aws:s3:::data'],
        ['Kpis', tableArn('kpis')],
      ]),
    );
    const get = (key: string) => ({ action: 's3:GetObject', resource: `arn:aws:s3:::data/${key}` });
    assert.equal(isAllowed(grants, get('music/songs/2024/s.csv')), true);
    assert.equal(isAllowed(grants, get('music/users/u.csv')), false);
    assert.equal(isAllowed(grants, get('musicXsongs/s.csv')), false);
    assert.equal(
      isAllowed(grants, {
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::data/music/songs/s.csv',
      }),
      false,
    );
    const put = dynamoAuthorization({ operation: 'PutItem', table: 'kpis' });
    assert.equal(isAllowed(grants, put), true);
    assert.equal(
      isAllowed(grants, dynamoAuthorization({ operation: 'GetItem', table: 'kpis' })),
      false,
    );
    assert.equal(
      isAllowed(grants, dynamoAuthorization({ operation: 'PutItem', table: 'other' })),
      false,
    );
    assert.deepEqual(
      actionsBy([put, dynamoAuthorization({ operation: 'DeleteItem', table: 'kpis' }), put]),
      { [tableArn('kpis')]: ['dynamodb:DeleteItem', 'dynamodb:PutItem'] },
    );
  });
});
