/**
 * The shared libraries a set of programs loads, found in unpacked Debian packages: each program's
 * DT_NEEDED, then theirs, until nothing new is needed. What ldd would print, without running anything
 * and without the host having the libraries (or the same versions) installed.
 */
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { elfNeeded } from './elf.js';
import { LabError } from './errors.js';

/** Where Debian puts shared libraries inside a package (multiarch first). */
export const LIBRARY_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib', 'usr/lib'];

/** The dynamic loader: named by the program's PT_INTERP, never by DT_NEEDED. */
export const DYNAMIC_LOADER = 'ld-linux-x86-64.so.2';

export interface SharedLibrary {
  soname: string;
  /** The file (symlinks resolved) in one of the package trees. */
  source: string;
}

/** The first file called `soname` in the trees' library folders, in the trees' order. */
export async function findLibrary(soname: string, trees: readonly string[]): Promise<string | undefined> {
  for (const tree of trees) {
    for (const dir of LIBRARY_DIRS) {
      const path = join(tree, dir, soname);
      if (existsSync(path)) return realpath(path);
    }
  }
  return undefined;
}

/**
 * Every library `programs` load, each once, in the order found. A soname no tree holds is an error that
 * names it and who needs it (the package list is incomplete).
 */
export async function sharedLibraryClosure(
  programs: readonly string[],
  trees: readonly string[],
): Promise<SharedLibrary[]> {
  const found = new Map<string, SharedLibrary>();
  const queue: Array<{ file: string; who: string }> = programs.map((file) => ({ file, who: file }));
  while (queue.length > 0) {
    const { file, who } = queue.shift()!;
    for (const soname of elfNeeded(await readFile(file))) {
      if (found.has(soname) || soname === DYNAMIC_LOADER) continue;
      const source = await findLibrary(soname, trees);
      if (!source) throw new LabError(`${soname}, needed by ${who}, is in none of the unpacked packages`);
      found.set(soname, { soname, source });
      queue.push({ file: source, who: soname });
    }
  }
  return [...found.values()];
}
