/**
 * The users lookup table: the set of known `user_id`s, used only to count
 * listens by unknown users (SPEC section 3: they are kept, not rejected).
 * Stored as a typed-array hash set of integers, not a `Set<string>`.
 */
import { UserIdSet } from '../aggregate/internal/kpi-user-set.js';

/** Sizes of a loaded {@link UsersTable}, for the run summary. */
export interface UsersTableStats {
  /** User rows read. */
  readonly rows: number;
  /** Distinct user ids. */
  readonly users: number;
  /** Approximate heap bytes held by the table. */
  readonly approxBytes: number;
}

/** A compact set of known user ids. Build it with {@link buildUsersTable}. */
export class UsersTable {
  private readonly set: UserIdSet;
  /** Sizes, for the run summary. */
  readonly stats: UsersTableStats;

  /** @internal Use {@link buildUsersTable} or {@link usersTableFromIds}. */
  constructor(set: UserIdSet, rows: number) {
    this.set = set;
    this.stats = { rows, users: set.size, approxBytes: set.byteLength };
  }

  /** The distinct ids, e.g. to send the table to a worker thread. */
  ids(): Float64Array {
    const out = new Float64Array(this.set.size);
    let i = 0;
    this.set.forEach((id) => {
      out[i++] = id;
    });
    return out;
  }

  /** True when `userId` is a known user. */
  has(userId: number): boolean {
    return this.set.has(userId);
  }
}

/** Builds a {@link UsersTable} from ids already in memory. */
export function usersTableFromIds(ids: Iterable<number>): UsersTable {
  const set = new UserIdSet();
  let rows = 0;
  for (const id of ids) {
    rows++;
    set.add(id);
  }
  return new UsersTable(set, rows);
}
