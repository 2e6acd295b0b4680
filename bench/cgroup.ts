// CPU "machines" for the scale-out benchmark: each is a cgroup v1 CPU group with a CFS quota (e.g. 0.4 of a core:
// cpu.cfs_quota_us 40000 per cpu.cfs_period_us 100000), into which a process is moved by writing its pid to
// `tasks`. Threads the process starts later inherit the group, so a worker and its scan threads share one
// budget, as on a small machine. Needs root and cgroup v1's cpu controller at /sys/fs/cgroup/cpu.
import fs from 'node:fs';
import path from 'node:path';

const CPU_ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

export interface CpuMachine {
  name: string;
  /** Cores this machine may use (quota / period). */
  cores: number;
  /** Moves a running process (all its threads) into the group. */
  adopt(pid: number): void;
  /** Removes the group; its processes must have exited or moved out. */
  remove(): void;
}

/** Whether cgroup CPU quotas can be set here (root, cgroup v1 cpu controller). */
export function cpuQuotasAvailable(): boolean {
  try {
    fs.accessSync(path.join(CPU_ROOT, 'cpu.cfs_quota_us'), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A new CPU group `name` (under orderflow-bench/) limited to `cores` of a core. */
export function cpuMachine(name: string, cores: number): CpuMachine {
  const dir = path.join(CPU_ROOT, 'orderflow-bench', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
  fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
  return {
    name,
    cores,
    adopt(pid) {
      // Every thread of the process: `cgroup.procs` moves the whole thread group at once.
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    },
    remove() {
      // A process still inside (one that did not exit) goes back to the root group first.
      const left = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of left) {
        try {
          fs.writeFileSync(path.join(CPU_ROOT, 'cgroup.procs'), pid);
        } catch {
          // exited meanwhile
        }
      }
      fs.rmdirSync(dir);
    },
  };
}
