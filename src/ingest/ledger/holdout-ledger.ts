// The ledger's evaluation partials, read for model evaluation: every committed file's packed totals carry its
// holdout partial (items per order bucket and sums of squares per cell, orders per bucket: holdout.ts), so the
// output's holdout and one file's holdout are views of the same totals as the cells (ledger-totals.ts).
import type { Db } from '../../store/db.js';
import type { HoldoutPartial } from '../read/holdout.js';
import { holdoutOf, partialsOf } from './ledger-totals.js';

/** One committed file's evaluation partial; undefined when the file is not committed. */
export async function holdoutPartialOf(db: Db, path: string): Promise<HoldoutPartial | undefined> {
  const [file] = await db.query<{ token: string | number }>(
    'SELECT token FROM ingest_files WHERE path = $1',
    [path],
  );
  if (!file) return undefined;
  const token = Number(file.token);
  const partials = await partialsOf(db, [{ path, token }]);
  return holdoutOf(partials.get(`${token}\u0000${path}`)!);
}
