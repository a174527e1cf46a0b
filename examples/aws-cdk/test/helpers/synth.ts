/**
 * Synthesizes the KPI stack once, in process, into a temporary cloud
 * assembly: the template for the assertions and the bundled Lambda asset
 * (esbuild, local) for the end-to-end tests.
 */
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { KpiStack } from '../../src/stack/kpi-stack.js';
import type { KpiStackParams } from '../../src/stack/props.js';

/** The parameters the tests deploy with (non-default where it shows in the template). */
export const PARAMS = {
  prefix: 'music/',
  tableName: 'music-kpis',
  // Not the default `music-kpis-state`: the bundle test shows the handler uses this one.
  stateTableName: 'music-kpis-progress',
  timeZone: 'Europe/Berlin',
  alertEmail: 'kpi-alerts@example.com',
  memoryMb: 2048,
  timeoutSeconds: 120,
  maxConcurrency: 7,
  batchSize: 4,
  maxReceiveCount: 3,
  backfillBatchSize: 25,
  backfillConcurrency: 12,
  backfillToleratedFailurePercentage: 10,
  deadLetterRowsThreshold: 500,
} satisfies KpiStackParams;

/** A synthesized stack. */
export interface Synthesized {
  readonly stack: KpiStack;
  readonly template: Template;
  readonly outdir: string;
  /** The Lambda bundle (`index.mjs` of the asset in the assembly). */
  readonly bundle: string;
  readonly synthMs: number;
}

/** Synthesizes with {@link PARAMS} (and `params` over them) into a new temporary directory. */
export async function synthesize(params: Partial<KpiStackParams> = {}): Promise<Synthesized> {
  const outdir = await mkdtemp(join(tmpdir(), 'streamkpi-cdk-'));
  const started = performance.now();
  const app = new App({ outdir });
  const stack = new KpiStack(app, 'StreamKpiTest', { params: { ...PARAMS, ...params } });
  app.synth();
  const template = Template.fromStack(stack);
  const synthMs = performance.now() - started;
  const assets = (await readdir(outdir)).filter((name) => name.startsWith('asset.'));
  const bundles: string[] = [];
  for (const asset of assets) {
    const file = join(outdir, asset, 'index.mjs');
    if (
      await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      bundles.push(file);
  }
  if (bundles.length !== 1)
    throw new Error(`Expected one Lambda bundle in ${outdir}, found ${bundles.length}`);
  return { stack, template, outdir, bundle: bundles[0] as string, synthMs };
}

/**
 * A CloudFormation value with `Fn::Join`s flattened and other intrinsics
 * written as `${Ref}` / `${Logical.Attr}` placeholders, e.g. to JSON.parse a
 * state machine's DefinitionString.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}
