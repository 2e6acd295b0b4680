// Runs the orderflow CLI in-process (fast), capturing what it prints through its own output functions.
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` entries are set on process.env for the duration of the call (the CLI reads its config there). */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  try {
    const code = await main(['node', 'orderflow', ...args], {
      out: (line) => (stdout += line + '\n'),
      err: (line) => (stderr += line + '\n'),
    });
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
