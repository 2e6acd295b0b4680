// Progress for long commands: a bar on a terminal, nothing otherwise (the command prints one summary).
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(value: number, total?: number): void;
  stop(): void;
}

export function createProgress(interactive: boolean, label: string, total: number): Progress {
  if (!interactive) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total}`,
      stream: process.stderr,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (value, newTotal) => {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(value);
    },
    stop: () => bar.stop(),
  };
}
