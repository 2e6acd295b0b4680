// Records a mutating CLI command in the audit log (sql/0008) as done through the CLI by the OS user, ok or failed,
// like the API's audit hook does for requests. A failure to write the entry after a failed command is swallowed on
// purpose: the command's own error is the one to report.
import { userInfo } from 'node:os';
import { DbAuditLog } from '../auth/audit.js';
import type { Db } from '../store/db.js';

export async function audited<T>(
  db: Db,
  action: string,
  target: string | null,
  fn: () => Promise<T>,
  detail: (result: T) => Record<string, unknown> | null = () => null,
): Promise<T> {
  const log = new DbAuditLog(db);
  const entry = { actor: userInfo().username, via: 'cli' as const, action, target, status: null };
  try {
    const result = await fn();
    await log.record({ ...entry, outcome: 'ok', detail: detail(result) });
    return result;
  } catch (error) {
    await log.record({ ...entry, outcome: 'failed', detail: null }).catch(() => undefined);
    throw error;
  }
}
