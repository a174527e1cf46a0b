import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidTimestamp, parseTimestampParts } from '../src/validate/time.js';

describe('time', () => {
  it('parses a zone-less timestamp as wall-clock time without an offset', () => {
    const parts = parseTimestampParts('2024-06-25 17:43:13');
    assert.deepEqual(parts, {
      wallMs: Date.UTC(2024, 5, 25, 17, 43, 13),
      offsetMinutes: undefined,
    });
  });

  it('honours Z and numeric offsets', () => {
    assert.equal(parseTimestampParts('2024-06-25T17:43:13Z')?.offsetMinutes, 0);
    assert.equal(parseTimestampParts('2024-06-25T17:43:13+05:45')?.offsetMinutes, 345);
    assert.equal(parseTimestampParts('2024-06-25T17:43:13-0800')?.offsetMinutes, -480);
    assert.equal(
      parseTimestampParts('2024-06-25T17:43:13.250Z')?.wallMs,
      Date.UTC(2024, 5, 25, 17, 43, 13, 250),
    );
  });

  it('rejects impossible and malformed timestamps', () => {
    for (const bad of [
      '2024-13-45 99:00:00',
      'not-a-date',
      '',
      '2023-02-29 00:00:00',
      '2024-06-25 17:43:13+25:00',
      '2024-06-25 17:43',
    ]) {
      assert.equal(isValidTimestamp(bad), false, bad);
    }
    assert.equal(isValidTimestamp('2024-02-29 23:59:59'), true);
  });

  it('years before 100 are not shifted to the 1900s', () => {
    const parts = parseTimestampParts('0024-06-25 17:43:13');
    const expected = new Date(0);
    expected.setUTCFullYear(24, 5, 25);
    expected.setUTCHours(17, 43, 13, 0);
    assert.equal(parts?.wallMs, expected.getTime());
  });
});
