import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteWriter, crc32, tableCrc32 } from '../src/aggregate/internal/kpi-bytes.js';

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

  it('writes strings as a varint length and the bytes TextEncoder gives, lone surrogates included', () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udfff'),
    );
    fc.assert(
      fc.property(fc.array(fc.string({ unit, maxLength: 60 }), { maxLength: 5 }), (strings) => {
        const w = new ByteWriter();
        const expected: number[] = [];
        for (const s of strings) {
          w.string(s);
          const b = new TextEncoder().encode(s);
          expected.push(...(b.length < 128 ? [b.length] : [(b.length % 128) + 128, b.length >> 7]));
          expected.push(...b);
        }
        assert.deepEqual([...w.finish()], expected);
      }),
      { numRuns: 500 },
    );
  });
});
