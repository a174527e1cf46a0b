/**
 * Songs and users tables kept between runs while the objects they were built
 * from are unchanged. A table is keyed by its S3 folder and fingerprinted by
 * the folder's listing (every key with its ETag): one LIST per run decides
 * between reusing the table and rebuilding it, so a changed, added or removed
 * reference file rebuilds it, and an unchanged one is never read again.
 */
import type { RunSummary } from '@streamkpi/core';

/** A reference table with what its build read. */
export interface CachedReference<T> {
  /** The table (`undefined` for a users folder without files). */
  readonly table: T;
  /** Rows read, rejected and kept while the table was built. */
  readonly summary: RunSummary;
  /** Number of objects the table was built from. */
  readonly files: number;
  /** Approximate heap bytes the table holds. */
  readonly approxBytes: number;
}

/** One entry of {@link ReferenceCache.entries}. */
export interface ReferenceCacheEntry {
  /** `songs` or `users` and the folder, e.g. `songs s3://bucket/prefix/songs/`. */
  readonly id: string;
  /** `key ETag` of every object the table was built from, in listing order. */
  readonly objects: readonly string[];
  /** Approximate heap bytes held by the table. */
  readonly approxBytes: number;
}

/**
 * Keeps at most one songs and one users table per folder. Pass the same
 * cache to every `runKpis` call (a `watch` loop, a warm Lambda execution
 * environment) to skip reading unchanged reference data.
 */
export interface ReferenceCache {
  /**
   * The table for `id` built from exactly `objects` (`key ETag` strings),
   * or a new one from `build` — which then replaces the old entry. Calls for
   * the same id and objects that overlap share one build; a failed build is
   * not kept.
   */
  get<T>(
    id: string,
    objects: readonly string[],
    build: () => Promise<CachedReference<T>>,
  ): Promise<{ readonly value: CachedReference<T>; readonly reused: boolean }>;
  /** What is held now, with its memory. */
  entries(): readonly ReferenceCacheEntry[];
  /** Builds started and tables reused since the cache was created. */
  readonly stats: { readonly builds: number; readonly reuses: number };
  /** Drops every table. */
  clear(): void;
}

interface Slot {
  readonly fingerprint: string;
  readonly objects: readonly string[];
  readonly value: Promise<CachedReference<unknown>>;
  approxBytes: number;
}

/** Creates an empty {@link ReferenceCache}. */
export function createReferenceCache(): ReferenceCache {
  const slots = new Map<string, Slot>();
  const stats = { builds: 0, reuses: 0 };
  return {
    async get<T>(id: string, objects: readonly string[], build: () => Promise<CachedReference<T>>) {
      const fingerprint = objects.join('\n');
      const held = slots.get(id);
      if (held !== undefined && held.fingerprint === fingerprint) {
        stats.reuses++;
        return { value: (await held.value) as CachedReference<T>, reused: true };
      }
      stats.builds++;
      const value = build();
      const slot: Slot = { fingerprint, objects: [...objects], value, approxBytes: 0 };
      // The old table is released as soon as the new build is the entry.
      slots.set(id, slot);
      try {
        const built = await value;
        slot.approxBytes = built.approxBytes;
        return { value: built, reused: false };
      } catch (error) {
        if (slots.get(id) === slot) slots.delete(id);
        throw error;
      }
    },
    entries() {
      return [...slots].map(([id, s]) => ({ id, objects: s.objects, approxBytes: s.approxBytes }));
    },
    stats,
    clear() {
      slots.clear();
    },
  };
}
