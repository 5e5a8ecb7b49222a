import type { ModuleInfo } from './modinfo.js';

export class ModuleOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleOrderError';
  }
}

/**
 * The load order for `wanted` and everything it needs: dependencies (and available soft pre-dependencies)
 * before dependants, each module once. `available` maps module name → its info.
 * A hard dependency that is not available is an error; a missing soft dependency is skipped (it is often
 * built into the kernel, e.g. crc32c in the cloud flavour).
 */
export function moduleLoadOrder(wanted: readonly string[], available: ReadonlyMap<string, ModuleInfo>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    const mark = state.get(name);
    if (mark === 'done') return;
    if (mark === 'visiting') throw new ModuleOrderError(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    const info = available.get(name);
    if (!info)
      throw new ModuleOrderError(`module ${name} not found${chain.length ? ` (needed by ${chain.at(-1)})` : ''}`);
    state.set(name, 'visiting');
    for (const soft of info.softPre) if (available.has(soft)) visit(soft, [...chain, name]);
    for (const dep of info.depends) visit(dep, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of wanted) visit(name, []);
  return order;
}
