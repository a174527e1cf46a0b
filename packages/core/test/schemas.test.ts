import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { songRowSchema, streamRowSchema } from '../src/index.js';
import { REQUIRED_FIELDS, userRowSchema } from '../src/validate/schemas.js';

describe('schemas', () => {
  it('stream rows: trimmed digits become a number; strings are trimmed; extra fields dropped', () => {
    const parsed = streamRowSchema.parse({
      user_id: ' 0042 ',
      track_id: ' t1 ',
      listen_time: ' 2024-06-25 17:43:13 ',
      extra: 'x',
    });
    assert.deepEqual(parsed, { user_id: 42, track_id: 't1', listen_time: '2024-06-25 17:43:13' });
    assert.ok(
      streamRowSchema.safeParse({
        user_id: '1',
        track_id: 't',
        listen_time: '2024-06-25T17:43:13+02:00',
      }).success,
    );
  });

  it('stream rows: rejects non-digit, zero, unsafe user ids, empty track ids and impossible times', () => {
    const ok = { user_id: '1', track_id: 't', listen_time: '2024-06-25 17:43:13' };
    for (const bad of [
      { user_id: '-1' },
      { user_id: '1.5' },
      { user_id: '0' },
      { user_id: '' },
      { user_id: '9007199254740993' },
      { track_id: '   ' },
      { listen_time: '2024-13-45 99:00:00' },
      { listen_time: 'not-a-date' },
      { listen_time: '' },
    ]) {
      assert.equal(
        streamRowSchema.safeParse({ ...ok, ...bad }).success,
        false,
        JSON.stringify(bad),
      );
    }
    const unsafe = streamRowSchema.safeParse({ ...ok, user_id: '12345678901234567890' });
    assert.equal(unsafe.success, false);
    assert.match(unsafe.error?.issues[0]?.message ?? '', /MAX_SAFE_INTEGER/);
  });

  it('song rows: empty track_name allowed, duration a non-negative integer, genre required', () => {
    const ok = { track_id: 'a', track_name: '', duration_ms: '0', track_genre: 'pop' };
    assert.deepEqual(songRowSchema.parse(ok), {
      track_id: 'a',
      track_name: '',
      duration_ms: 0,
      track_genre: 'pop',
    });
    assert.equal(songRowSchema.safeParse({ ...ok, duration_ms: '-5' }).success, false);
    assert.equal(songRowSchema.safeParse({ ...ok, duration_ms: '12.5' }).success, false);
    assert.equal(songRowSchema.safeParse({ ...ok, track_genre: '' }).success, false);
    assert.equal(songRowSchema.safeParse({ ...ok, track_id: '' }).success, false);
  });

  it('user rows need a positive integer id; required fields per dataset match SPEC', () => {
    assert.deepEqual(userRowSchema.parse({ user_id: '7', user_name: 'x' }), { user_id: 7 });
    assert.equal(userRowSchema.safeParse({ user_id: 'abc' }).success, false);
    assert.deepEqual(REQUIRED_FIELDS, {
      streams: ['user_id', 'track_id', 'listen_time'],
      songs: ['track_id', 'track_name', 'duration_ms', 'track_genre'],
      users: ['user_id'],
    });
  });
});
