/**
 * Fetches Debian packages with `apt-get download` and unpacks them with `dpkg-deb -x` into the cache,
 * one folder per package and version, so nothing is installed on the host (never a kernel) and a
 * second run reuses the folders.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from './errors.js';
import { run } from './run-command.js';

export interface PackageVersion {
  name: string;
  version: string;
}

/** "Package: x\nVersion: y\n\n..." stanzas of `apt-cache show` → first version of each package. */
export function parseAptCacheShow(text: string): PackageVersion[] {
  const found = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    if (name && version && !found.has(name)) found.set(name, version);
  }
  return [...found].map(([name, version]) => ({ name, version }));
}

/** The concrete kernel image package a metapackage (linux-image-cloud-amd64) depends on. */
export function parseKernelDepends(text: string): string | undefined {
  return /Depends:\s*(linux-image-\d\S*)/.exec(text)?.[1];
}

/**
 * `apt-cache depends` output → each package's hard dependencies (Depends and PreDepends). Of an OR group
 * (`|Depends: a` … `Depends: z`) only the first is kept, as apt would install; virtual packages (`<x>`)
 * and the packages listed under them as providers are left out.
 */
export function parseAptCacheDepends(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  let current: string[] | undefined;
  let inOrGroup = false;
  for (const line of text.split('\n')) {
    const header = /^(\S+)$/.exec(line);
    if (header) {
      current = [];
      deps.set(header[1]!, current);
      inOrGroup = false;
      continue;
    }
    const m = /^ {2}(\|?)(?:Pre)?Depends: (\S+)$/.exec(line);
    if (!m || !current) continue;
    const [, pipe, name] = m;
    if (!inOrGroup && !name!.startsWith('<') && !current.includes(name!)) current.push(name!);
    // The group goes on while lines carry the pipe; the line after the last piped one ends it.
    inOrGroup = pipe === '|';
  }
  return deps;
}

/** Debian names shared-library packages lib…/zlib…; the rest (perl, dpkg, iproute2 …) are not needed to load a program. */
export function isLibraryPackage(name: string): boolean {
  return /^(lib|zlib)/.test(name);
}

/**
 * The library packages `roots` depend on, transitively (one `apt-cache depends` per level): what a
 * program from `roots` may need to load. The unpacked trees are searched for its DT_NEEDED sonames.
 */
export async function resolveLibraryPackages(roots: readonly string[]): Promise<string[]> {
  const seen = new Set<string>(roots);
  const libraries: string[] = [];
  let level = [...roots];
  while (level.length > 0) {
    const { stdout } = await run([
      'apt-cache',
      'depends',
      ...['--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances'],
      ...level,
    ]);
    const next: string[] = [];
    for (const deps of parseAptCacheDepends(stdout).values()) {
      for (const d of deps) {
        if (seen.has(d) || !isLibraryPackage(d)) continue;
        seen.add(d);
        libraries.push(d);
        next.push(d);
      }
    }
    level = next;
  }
  return libraries;
}

export async function resolveKernelPackage(metapackage: string): Promise<string> {
  const { stdout } = await run(['apt-cache', 'depends', metapackage]);
  const name = parseKernelDepends(stdout);
  if (!name) throw new LabError(`cannot find the kernel image package of ${metapackage} (apt-get update?)`);
  return name;
}

export async function resolveVersions(names: readonly string[]): Promise<PackageVersion[]> {
  const { stdout } = await run(['apt-cache', 'show', '--no-all-versions', ...names]);
  const versions = parseAptCacheShow(stdout);
  const missing = names.filter((n) => !versions.some((v) => v.name === n));
  if (missing.length) throw new LabError(`apt-cache knows no version of: ${missing.join(', ')} (apt-get update?)`);
  return names.map((n) => versions.find((v) => v.name === n)!);
}

/** Folder name of a package version inside the cache (versions contain ':' and '+'). */
export function packageDirName(p: PackageVersion): string {
  return `${p.name}_${p.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`;
}

/** Unpacked trees of `packages` (downloaded only when not cached); returns name → folder. */
export async function fetchPackages(
  packages: readonly PackageVersion[],
  cacheDir: string,
  log: (line: string) => void = () => {},
): Promise<Map<string, string>> {
  const root = join(cacheDir, 'debs');
  await mkdir(root, { recursive: true });
  const trees = new Map<string, string>();
  const missing = packages.filter((p) => !existsSync(join(root, packageDirName(p), '.complete')));
  if (missing.length) {
    const dl = join(root, `.download-${process.pid}`);
    await rm(dl, { recursive: true, force: true });
    await mkdir(dl, { recursive: true });
    try {
      log(`downloading ${missing.map((p) => `${p.name}=${p.version}`).join(' ')}`);
      await run(
        ['apt-get', 'download', '-q', '-o', 'APT::Sandbox::User=root', ...missing.map((p) => `${p.name}=${p.version}`)],
        { timeoutMs: 300_000, cwd: dl },
      ).catch((err: unknown) => {
        throw new LabError(`apt-get download failed (network or apt-get update?): ${(err as Error).message}`);
      });
      const debs = await readdir(dl);
      await Promise.all(
        missing.map(async (p) => {
          const deb = debs.find((f) => f.startsWith(`${p.name}_`) && f.endsWith('.deb'));
          if (!deb) throw new LabError(`apt-get download left no .deb for ${p.name}`);
          const target = join(root, packageDirName(p));
          const tmp = `${target}.tmp-${process.pid}`;
          await rm(tmp, { recursive: true, force: true });
          await run(['dpkg-deb', '-x', join(dl, deb), tmp], { timeoutMs: 120_000 });
          await writeFile(join(tmp, '.complete'), `${p.name} ${p.version}\n`);
          await rm(target, { recursive: true, force: true });
          await rename(tmp, target);
        }),
      );
    } finally {
      await rm(dl, { recursive: true, force: true });
    }
  }
  for (const p of packages) trees.set(p.name, join(root, packageDirName(p)));
  return trees;
}
