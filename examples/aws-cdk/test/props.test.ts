/** The stack parameters: context strings converted and validated before any construct exists. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import {
  kpiStackParamsSchema,
  paramsFromContext,
  parseKpiStackParams,
  stateTableNameOf,
} from '../src/stack/props.js';

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

  it('are the README\'s "Deploy to AWS" parameters, each with its default', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const deploy = readme.slice(readme.indexOf('## Deploy to AWS'));
    const table = deploy.slice(deploy.indexOf('| parameter'), deploy.indexOf('What gets created'));
    const rows = table
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').map((c) => c.trim()));
    const documented = new Map<string, string>();
    for (const [, names = '', defaults = ''] of rows)
      for (const [, name] of names.matchAll(/`([A-Za-z]+)`/g))
        documented.set(name as string, defaults);
    assert.deepEqual([...documented.keys()].sort(), Object.keys(kpiStackParamsSchema.shape).sort());
    const defaults = parseKpiStackParams({ alertEmail: 'ops@example.com' }) as Record<
      string,
      unknown
    >;
    for (const [name, cell] of documented) {
      const value = name === 'alertEmail' ? undefined : defaults[name];
      if (value === undefined) {
        // No value of its own: required, or derived / generated / created by the stack.
        assert.doesNotMatch(cell, /^`?[\d'"]/, `README default of ${name}`);
        continue;
      }
      const shown = value === '' ? "`''`" : String(value);
      assert.ok(cell.includes(shown), `README default of ${name} is ${shown}, not "${cell}"`);
    }
    assert.equal(documented.get('alertEmail'), 'required');
  });
});
