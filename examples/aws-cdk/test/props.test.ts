/** The stack parameters: context strings converted and validated before any construct exists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { paramsFromContext, parseKpiStackParams, stateTableNameOf } from '../src/stack/props.js';

const context = (values: Record<string, string>) => (key: string) => values[key];

describe('KPI stack parameters', () => {
  it('reads numbers from command-line context strings and fills the defaults', () => {
    const p = paramsFromContext(
      context({
        alertEmail: 'ops@example.com',
        memoryMb: '3008',
        prefix: 'music/',
        bucketName: 'my-data',
      }),
    );
    assert.equal(p.memoryMb, 3008);
    assert.equal(p.prefix, 'music/');
    assert.equal(p.bucketName, 'my-data');
    assert.equal(p.timeoutSeconds, 300);
    assert.equal(p.reconcileSchedule, 'rate(1 hour)');
    assert.equal(p.tableName, undefined);
  });

  it('names every bad parameter in one OptionsError', () => {
    assert.throws(
      () => parseKpiStackParams({ alertEmail: 'not-an-address', prefix: 'music', memoryMb: 64 }),
      (error: unknown) =>
        error instanceof OptionsError &&
        error.code === 'INVALID_OPTIONS' &&
        /alertEmail/.test(error.message) &&
        /prefix: Expected a prefix that is '' or ends with '\/'/.test(error.message) &&
        /memoryMb/.test(error.message),
    );
  });

  it('names the state table after a named KPI table unless it is named itself', () => {
    const alertEmail = 'ops@example.com';
    assert.equal(stateTableNameOf(parseKpiStackParams({ alertEmail })), undefined);
    assert.equal(
      stateTableNameOf(parseKpiStackParams({ alertEmail, tableName: 'daily_genre_kpis' })),
      'daily_genre_kpis-state',
    );
    const named = paramsFromContext(
      context({ alertEmail, tableName: 'daily_genre_kpis', stateTableName: 'kpi-commits' }),
    );
    assert.equal(stateTableNameOf(named), 'kpi-commits');
    assert.equal(
      stateTableNameOf(parseKpiStackParams({ alertEmail, stateTableName: 'kpi-commits' })),
      'kpi-commits',
    );
  });

  it('rejects a state table that is the KPI table, or a derived name over 255 characters', () => {
    const alertEmail = 'ops@example.com';
    assert.throws(
      () => parseKpiStackParams({ alertEmail, tableName: 'kpis', stateTableName: 'kpis' }),
      (error: unknown) =>
        error instanceof OptionsError &&
        /stateTableName: Expected the state table to be another table than the KPI table/.test(
          error.message,
        ),
    );
    assert.throws(
      () => parseKpiStackParams({ alertEmail, tableName: 'k'.repeat(250) }),
      /stateTableName: .*longer than 255 characters/,
    );
    assert.throws(
      () => parseKpiStackParams({ alertEmail, stateTableName: 'no spaces' }),
      /stateTableName: Expected a DynamoDB table name/,
    );
  });

  it('requires the alert e-mail address', () => {
    assert.throws(() => paramsFromContext(context({})), /alertEmail/);
  });
});
