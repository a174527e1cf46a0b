/** Default V8 heap limits of a pool thread, sized from the lookup tables. */
import type { SongsTable } from '../../join/songs-table.js';
import type { UsersTable } from '../../join/users-table.js';

/** Heap limits of a pool thread, in MB (see `worker_threads` `ResourceLimits`). */
export interface PoolResourceLimits {
  readonly maxYoungGenerationSizeMb?: number;
  readonly maxOldGenerationSizeMb?: number;
  readonly codeRangeSizeMb?: number;
  readonly stackSizeMb?: number;
}

const MIB = 1024 * 1024;

/**
 * The default heap limits of a pool thread for these tables: a 4 MB young
 * generation (rows are short-lived: scavenges stay cheap) and an old
 * generation of 96 MB plus twice the tables' size (their copy on the thread
 * and room to collect). Without tables (a pool started before its tables
 * are loaded), 96 MB.
 */
export function defaultPoolResourceLimits(
  songs?: SongsTable,
  users?: UsersTable,
): PoolResourceLimits {
  const tableBytes = (songs?.stats.approxBytes ?? 0) + (users?.stats.approxBytes ?? 0);
  return {
    maxYoungGenerationSizeMb: 4,
    maxOldGenerationSizeMb: 96 + Math.ceil((2 * tableBytes) / MIB),
  };
}
