import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderError } from '../src/index.js';
import { checkHeader } from '../src/parse/check-header.js';
import { testSource } from './helpers/parse.js';

describe('check-header', () => {
  it('accepts a header with every required column, in any order, with extras', () => {
    checkHeader('songs', [
      'id',
      'track_genre',
      'duration_ms',
      'track_name',
      'track_id',
      'popularity',
    ]);
  });

  it('names every missing column, the dataset and the source', () => {
    const source = testSource('songs/x.csv');
    assert.throws(
      () => checkHeader('songs', ['track_id', 'popularity'], source),
      (err: unknown) => {
        assert.ok(err instanceof HeaderError);
        assert.deepEqual(err.missing, ['track_name', 'duration_ms', 'track_genre']);
        assert.equal(err.source, source);
        assert.equal(err.line, 1);
        assert.match(
          err.message,
          /songs file is missing required column\(s\): track_name, duration_ms, track_genre/,
        );
        return true;
      },
    );
  });
});
