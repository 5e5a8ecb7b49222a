/** CPU time and memory of a process and its descendants, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_NS = 10_000_000; // USER_HZ is 100 on Linux
const PAGE = 4096;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process or thread is gone
  }
}

/** The pid and every live descendant (cluster workers are children of the primary). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      const children = read(`/proc/${p}/task/${tid}/children`);
      for (const c of children?.split(' ').filter(Boolean) ?? []) walk(Number(c));
    }
  };
  walk(pid);
  return out;
}

/** User + system CPU time of the tree, in ns. */
export function treeCpuNs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const stat = read(`/proc/${p}/stat`);
    if (!stat) continue;
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_NS;
}

/** Resident set size of the tree, in bytes. */
export function treeRssBytes(pid: number): number {
  let pages = 0;
  for (const p of processTree(pid)) {
    const statm = read(`/proc/${p}/statm`);
    if (statm) pages += Number(statm.split(' ')[1]);
  }
  return pages * PAGE;
}

/**
 * CPU time all cores spent in processes since boot (user, nice, system), in ns. Interrupt and softirq
 * time is left out: on loopback most of it is the benchmark's own packets.
 */
export function machineTaskCpuNs(): number {
  const cpu = read('/proc/stat')?.split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0] = cpu;
  return (user + nice + system) * TICK_NS;
}
