/**
 * What the deployed stack would give the handler, taken from the
 * synthesized template: its DynamoDB tables (created in an emulator with the
 * template's names, key schemas and billing mode, since the handler runs
 * with `KPI_CREATE_TABLE=false`) and its environment variables (with the
 * tables' and the bucket's references resolved to their names).
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Template } from 'aws-cdk-lib/assertions';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

interface TableProps {
  readonly TableName: string;
  readonly KeySchema: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
  readonly AttributeDefinitions: Array<{ AttributeName: string; AttributeType: 'S' | 'N' | 'B' }>;
  readonly BillingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
}

/**
 * Creates every `AWS::DynamoDB::GlobalTable` of the template through
 * `client`; resolves logical id → table name (the template must name them).
 */
export async function createStackTables(
  client: DynamoDBClient,
  template: Template,
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const tables = template.findResources('AWS::DynamoDB::GlobalTable') as Resources;
  for (const [id, resource] of Object.entries(tables)) {
    const p = resource.Properties as unknown as TableProps;
    if (typeof p.TableName !== 'string') throw new Error(`Table ${id} has no literal TableName`);
    await client.send(
      new CreateTableCommand({
        TableName: p.TableName,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: p.BillingMode,
      }),
    );
    names.set(id, p.TableName);
  }
  return names;
}

/**
 * The handler function's environment variables as the template sets them:
 * literal strings kept, `{ Ref: <logical id> }` replaced from `refs`; any
 * other value is an error (the test would not know what AWS resolves it to).
 */
export function handlerEnvironment(
  template: Template,
  refs: ReadonlyMap<string, string>,
): Record<string, string> {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Runtime: 'nodejs22.x' },
  }) as Resources;
  const [fn, ...others] = Object.values(functions);
  if (fn === undefined || others.length > 0) throw new Error('Expected one nodejs22.x function');
  const env = fn.Properties.Environment as { Variables: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env.Variables)) {
    if (typeof value === 'string') {
      out[name] = value;
      continue;
    }
    const ref = (value as { Ref?: unknown }).Ref;
    const resolved = typeof ref === 'string' ? refs.get(ref) : undefined;
    if (resolved === undefined)
      throw new Error(`Cannot resolve ${name} = ${JSON.stringify(value)} of the handler`);
    out[name] = resolved;
  }
  return out;
}
