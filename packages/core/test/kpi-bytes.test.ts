import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc32, tableCrc32 } from '../src/aggregate/internal/kpi-bytes.js';

describe('kpi-bytes', () => {
  it('crc32 (native when Node has it) equals the JavaScript table CRC-32 and the IEEE check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    assert.equal(tableCrc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(16), (bytes, cut) => {
        const view = bytes.subarray(Math.min(cut, bytes.length));
        assert.equal(crc32(view), tableCrc32(view));
      }),
      { numRuns: 200 },
    );
  });
});
