import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { INVOCATION_MARGIN_MS, invocationRunOptions } from '../src/lambda/handler.js';

const context = (remainingMs: number) =>
  ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

describe('lambda-deadline', () => {
  it('each run of an invocation ends by the remaining invocation time minus the margin', () => {
    const before = Date.now();
    const { deadlineAt } = invocationRunOptions(context(60_000));
    const after = Date.now();
    assert.ok(deadlineAt !== undefined);
    assert.ok(deadlineAt >= before + 60_000 - INVOCATION_MARGIN_MS);
    assert.ok(deadlineAt <= after + 60_000 - INVOCATION_MARGIN_MS);
  });

  it('an invocation with less time left than the margin still gives its run one second', () => {
    const before = Date.now();
    const { deadlineAt } = invocationRunOptions(context(2_000));
    assert.ok(deadlineAt !== undefined && deadlineAt >= before + 1_000);
  });
});
