// The store-internal extension of Db: running a multi-statement SQL script (a migration file).
// Stage code never needs it; it sees only Db.
import type { Db } from './db.js';

export interface ScriptDb extends Db {
  /** Runs a script of one or more statements without parameters. */
  execScript(sql: string): Promise<void>;
  transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T>;
}
