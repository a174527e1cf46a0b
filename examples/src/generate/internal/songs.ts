import { csvField } from './csv.js';
import { base62, type Prng } from './prng.js';
import { ARTISTS, EMOJI, LATIN_WORDS, OTHER_SCRIPT_WORDS, SPOTIFY_GENRES } from './words.js';

/** Header of the songs file: the public Spotify tracks dataset's columns and order. */
export const SONGS_HEADER =
  'id,track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,' +
  'energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,' +
  'time_signature,track_genre';

/** What the songs file contains, for the manifest. */
export interface SongsStats {
  rows: number;
  genres: number;
  distinctTracks: number;
  /** Distinct track ids listed under two or more genres. */
  multiGenreTracks: number;
  /** Rows repeating an earlier (track_id, track_genre) pair with another name/duration. */
  duplicatePairRows: number;
  emptyNameRows: number;
}

interface Track {
  id: string;
  artists: string;
  album: string;
  name: string;
  duration: number;
  explicit: boolean;
  /** How many more genres this track should still be listed under. */
  extra: number;
  /** Index of the last genre it was listed under. */
  lastGenre: number;
  genreCount: number;
}

/** Genre names: the Spotify ones, then `genre-N`. */
export function genreNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(SPOTIFY_GENRES[i] ?? `genre-${i + 1}`);
  return names;
}

function words(rng: Prng, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(rng.float() < 0.12 ? rng.pick(OTHER_SCRIPT_WORDS) : rng.pick(LATIN_WORDS));
  }
  return parts.join(' ');
}

function trackName(rng: Prng): string {
  const r = rng.float();
  if (r < 0.005) return '';
  let name = words(rng, 1 + rng.int(3));
  if (r < 0.04) name = `${name}, ${words(rng, 1)}`;
  else if (r < 0.06) name = `${name} "${words(rng, 1)}"`;
  else if (r < 0.08) name = `${name} ${rng.pick(EMOJI)}`;
  else if (r < 0.09) name = `${rng.pick(EMOJI)} ${name}`;
  return name;
}

function artists(rng: Prng): string {
  const n = rng.float() < 0.2 ? 2 : 1;
  const list: string[] = [];
  for (let i = 0; i < n; i++) list.push(rng.pick(ARTISTS));
  return list.join(';');
}

function album(rng: Prng): string {
  const name = words(rng, 1 + rng.int(2));
  // A few album names span two lines: RFC 4180 quoted line breaks.
  return rng.float() < 0.001 ? `${name}\n(Deluxe)` : name;
}

function newTrack(rng: Prng, multiGenreRate: number, genre: number): Track {
  // Extra genres: of tracks listed under 2+ genres, 70% get 2, 20% get 3, 10% get 4.
  let extra = 0;
  if (rng.float() < multiGenreRate) {
    const r = rng.float();
    extra = r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
  }
  return {
    id: base62(rng, 22),
    artists: artists(rng),
    album: album(rng),
    name: trackName(rng),
    duration: 30_000 + rng.int(400_000),
    explicit: rng.float() < 0.1,
    extra,
    lastGenre: genre,
    genreCount: 1,
  };
}

const SCALE = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/** A decimal in [0, 1) with `digits` places; cheaper than `toFixed`. */
function dec(rng: Prng, digits: number): string {
  return `0.${String(rng.int(SCALE[digits] as number)).padStart(digits, '0')}`;
}

function songLine(
  rng: Prng,
  index: number,
  t: Track,
  name: string,
  duration: number,
  genre: string,
): string {
  return (
    `${index},${t.id},${csvField(t.artists)},${csvField(t.album)},${csvField(name)},` +
    `${rng.int(100)},${duration},${t.explicit ? 'True' : 'False'},${dec(rng, 3)},${dec(rng, 3)},` +
    `${rng.int(12)},-${rng.int(30)}.${dec(rng, 3).slice(2)},${rng.int(2)},${dec(rng, 4)},` +
    `${dec(rng, 4)},${dec(rng, 6)},${dec(rng, 4)},${dec(rng, 3)},${60 + rng.int(140)}.${dec(rng, 3).slice(2)},` +
    `${3 + rng.int(3)},${genre}\n`
  );
}

/**
 * Yields the songs file in chunks, genre by genre like the real file. About
 * `multiGenreRate` of distinct track ids reappear (same id, name, duration) in
 * later genres. Fills `tracks` with the distinct track ids and `stats` as it goes.
 */
export function* songsChunks(
  rng: Prng,
  options: { genres: number; songsPerGenre: number; multiGenreRate: number },
  tracks: string[],
  stats: SongsStats,
): Generator<string> {
  const genres = genreNames(options.genres);
  // Reuse probability at equilibrium: r = (1 - r) * meanExtra.
  const meanExtra = options.multiGenreRate * (0.7 + 0.2 * 2 + 0.1 * 3);
  const reuseRate = meanExtra / (1 + meanExtra);
  const pool: Track[] = [];
  const all: Track[] = [];
  let lines: string[] = [`${SONGS_HEADER}\n`];
  let index = 0;
  for (let g = 0; g < genres.length; g++) {
    const genre = genres[g] as string;
    let previous: Track | undefined;
    for (let k = 0; k < options.songsPerGenre; k++) {
      let track: Track | undefined;
      let name: string | undefined;
      let duration: number | undefined;
      if (previous !== undefined && rng.float() < 0.002) {
        // Same (track_id, genre) again with another name and duration: the first row wins.
        track = previous;
        name = `${track.name} (Remastered)`;
        duration = track.duration + 1000;
        stats.duplicatePairRows++;
      } else if (pool.length > 0 && rng.float() < reuseRate) {
        const at = rng.int(pool.length);
        const candidate = pool[at] as Track;
        if (candidate.lastGenre !== g) {
          track = candidate;
          track.lastGenre = g;
          track.genreCount++;
          track.extra--;
          if (track.extra === 0) {
            pool[at] = pool[pool.length - 1] as Track;
            pool.pop();
          }
        }
      }
      if (track === undefined) {
        track = newTrack(rng, options.multiGenreRate, g);
        all.push(track);
        tracks.push(track.id);
        if (track.extra > 0) pool.push(track);
      }
      name ??= track.name;
      duration ??= track.duration;
      if (name === '') stats.emptyNameRows++;
      lines.push(songLine(rng, index++, track, name, duration, genre));
      previous = track;
      if (lines.length === 4096) {
        yield lines.join('');
        lines = [];
      }
    }
  }
  if (lines.length > 0) yield lines.join('');
  stats.rows = index;
  stats.genres = genres.length;
  stats.distinctTracks = all.length;
  stats.multiGenreTracks = all.filter((t) => t.genreCount > 1).length;
}
