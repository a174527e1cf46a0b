/**
 * The CDK app: one {@link KpiStack}, parameters from context
 * (`cdk deploy -c alertEmail=ops@example.com -c prefix=music/ …`).
 * Synthesizes without AWS credentials or network (no lookups): the
 * account and region come from the deploying identity at deploy time.
 */
import { App } from 'aws-cdk-lib';
import { KpiStack } from '../src/stack/kpi-stack.js';
import { paramsFromContext } from '../src/stack/props.js';

const app = new App();
const get = (key: string): unknown => app.node.tryGetContext(key);
new KpiStack(app, String(get('stackName') ?? 'StreamKpi'), {
  params: paramsFromContext(get),
  description: 'streamkpi: S3 stream files to daily genre KPIs in DynamoDB, exactly once',
});
app.synth();
