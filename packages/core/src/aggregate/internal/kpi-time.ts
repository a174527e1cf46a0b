/**
 * Day arithmetic and the strict `listen_time` → UTC instant used when the
 * hot-path parser (`fastListenUtc`, stream-row-fast.ts) returns NaN.
 */
import { PipelineError } from '../../errors.js';
import type { JoinedListen } from '../../join/join-songs.js';
import { parseTimestampParts } from '../../validate/time.js';
import type { ZoneClock } from '../zone.js';

/** The instant of a validated `listen_time` by the strict parser (the hot parser returned NaN). */
export function strictUtc(
  row: Pick<JoinedListen, 'listenTime' | 'source' | 'line'>,
  sourceClock: ZoneClock,
): number {
  const parts = parseTimestampParts(row.listenTime);
  if (parts === undefined) {
    throw new PipelineError(
      'INVALID_LISTEN_TIME',
      `Invalid listen_time ${JSON.stringify(row.listenTime)}`,
      {
        source: row.source,
        line: row.line,
      },
    );
  }
  return parts.offsetMinutes === undefined
    ? sourceClock.wallToUtc(parts.wallMs)
    : parts.wallMs - parts.offsetMinutes * 60_000;
}
