/**
 * The IPVS director's boot files: a stock Debian kernel and an initramfs with busybox, ipvsadm (and any
 * other program an engine asks for, e.g. keepalived), the shared libraries they load and the modules IPVS
 * needs. Built once per set of package versions and programs and kept in the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CpioEntry, parentDirs, writeCpio } from './cpio.js';
import {
  fetchPackages,
  type PackageVersion,
  resolveKernelPackage,
  resolveLibraryPackages,
  resolveVersions,
} from './debian-packages.js';
import { LabError } from './errors.js';
import { initScript } from './init-script.js';
import { type ModuleInfo, modinfoSection, normaliseModuleName, parseModinfo } from './modinfo.js';
import { moduleLoadOrder } from './module-order.js';
import { LAB_SCHEDULERS } from './plan.js';
import { DYNAMIC_LOADER, sharedLibraryClosure } from './shared-libraries.js';

export interface DirectorImage {
  kernel: string;
  initrd: string;
  kernelRelease: string;
  packages: PackageVersion[];
}

/** A program of a Debian package, put in the image with the libraries it loads. */
export interface DirectorProgram {
  package: string;
  /** Its path inside the package, which is also its path in the VM (`usr/sbin/keepalived`). */
  path: string;
}

export interface DirectorImageOptions {
  cacheDir: string;
  /** Programs beyond ipvsadm (and busybox, which is static). */
  programs?: readonly DirectorProgram[];
  /** Debian metapackage naming the kernel flavour; the cloud one is the smallest (~27 MB). */
  kernelMetapackage?: string;
  log?: (line: string) => void;
}

/**
 * Modules the director loads (with whatever they depend on): the NIC, IPVS and every scheduler the lab
 * offers. The VM has no modprobe, so a scheduler whose module is not loaded at boot cannot be used.
 */
export const DIRECTOR_MODULES = ['virtio_pci', 'virtio_net', 'ip_vs', ...LAB_SCHEDULERS.ipvs.map((s) => `ip_vs_${s}`)];

/** Every director has ipvsadm; busybox (static) gives the shell and its applets. */
export const IPVSADM: DirectorProgram = { package: 'ipvsadm', path: 'sbin/ipvsadm' };
const BUSYBOX = 'busybox-static';

/** Bump when the image layout changes (a changed /init changes the key by itself). */
const IMAGE_FORMAT = '4';

/**
 * The initramfs is a plain cpio, not compressed: under software emulation the kernel spent about 0.6 s
 * of the VM's CPU inflating keepalived's 31 MB (14 MB gzipped), more than copying them costs, and the
 * ipvs engine's 6 MB boot a little faster uncompressed too. The cache holds the bigger files.
 */
const INITRD_FILE = 'initramfs.cpio';

async function walkModules(dir: string, found = new Map<string, string>()): Promise<Map<string, string>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walkModules(path, found);
    else if (entry.name.endsWith('.ko')) found.set(normaliseModuleName(entry.name.slice(0, -3)), path);
  }
  return found;
}

/** Reads .modinfo of the wanted modules and, transitively, of what they need. */
async function moduleInfos(paths: ReadonlyMap<string, string>, wanted: readonly string[]) {
  const infos = new Map<string, ModuleInfo>();
  const queue = [...wanted];
  while (queue.length) {
    const name = queue.shift()!;
    if (infos.has(name)) continue;
    const path = paths.get(name);
    if (!path) continue; // built in, or missing: moduleLoadOrder tells which
    const info = parseModinfo(modinfoSection(await readFile(path)), name);
    infos.set(name, info);
    queue.push(...info.depends, ...info.softPre);
  }
  return infos;
}

async function fileEntry(tree: string, from: string, to: string, mode = 0o755): Promise<CpioEntry> {
  const source = await realpath(join(tree, from)).catch(() => {
    throw new LabError(`${from} missing in ${tree}`);
  });
  return { type: 'file', path: to, data: await readFile(source), mode };
}

/** What apt would fetch depends on its lists, its sources and dpkg's status: their mtimes key the answer. */
async function aptFingerprint(): Promise<string> {
  const paths = ['/var/lib/apt/lists', '/etc/apt', '/etc/apt/sources.list.d', '/var/lib/dpkg/status'];
  const times = await Promise.all(
    paths.map((p) =>
      stat(p).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  return JSON.stringify(times);
}

/**
 * The kernel package and the versions apt would fetch: busybox, the programs' packages and every library
 * package they depend on. Asking apt-cache costs ~2 s per run here (more with many libraries), so the
 * answer is kept in the cache, one file per set of programs, until apt's lists or sources change.
 */
async function resolveDirectorPackages(cacheDir: string, metapackage: string, programs: readonly DirectorProgram[]) {
  const roots = [...new Set(programs.map((p) => p.package))];
  const file = join(cacheDir, `apt-resolution-${roots.join('+')}.json`);
  const key = JSON.stringify({ metapackage, roots, IMAGE_FORMAT, apt: await aptFingerprint() });
  const saved = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as { key: string; kernelPackage: string; packages: PackageVersion[] },
    () => undefined,
  );
  if (saved?.key === key) return saved;
  const [kernelPackage, libraries] = await Promise.all([
    resolveKernelPackage(metapackage),
    resolveLibraryPackages(roots),
  ]);
  const packages = await resolveVersions([kernelPackage, BUSYBOX, ...roots, ...libraries]);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(file, JSON.stringify({ key, kernelPackage, packages }));
  return { key, kernelPackage, packages };
}

export async function buildDirectorImage(options: DirectorImageOptions): Promise<DirectorImage> {
  const log = options.log ?? (() => {});
  const programs = [IPVSADM, ...(options.programs ?? []).filter((p) => p.path !== IPVSADM.path)];
  const { kernelPackage, packages } = await resolveDirectorPackages(
    options.cacheDir,
    options.kernelMetapackage ?? 'linux-image-cloud-amd64',
    programs,
  );
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        IMAGE_FORMAT,
        packages,
        programs,
        DIRECTOR_MODULES,
        init: initScript({ modules: DIRECTOR_MODULES }),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(options.cacheDir, 'images', `ipvs-director-${key}`);
  const kernel = join(dir, 'vmlinuz');
  const initrd = join(dir, INITRD_FILE);
  const releaseFile = join(dir, 'kernel-release');
  if (existsSync(join(dir, '.complete'))) {
    return { kernel, initrd, kernelRelease: (await readFile(releaseFile, 'utf8')).trim(), packages };
  }
  log(`building the director image ${key} (${packages.map((p) => `${p.name} ${p.version}`).join(', ')})`);
  const trees = await fetchPackages(packages, options.cacheDir, log);
  const kernelTree = trees.get(kernelPackage)!;
  const releases = await readdir(join(kernelTree, 'lib', 'modules'));
  const kernelRelease = releases[0];
  if (!kernelRelease) throw new LabError(`no modules in ${kernelPackage}`);
  const modulePaths = await walkModules(join(kernelTree, 'lib', 'modules', kernelRelease));
  const order = moduleLoadOrder(DIRECTOR_MODULES, await moduleInfos(modulePaths, DIRECTOR_MODULES));

  const lib = 'lib/x86_64-linux-gnu';
  const programFiles = await Promise.all(programs.map((p) => fileEntry(trees.get(p.package)!, p.path, p.path)));
  // Every library a program loads, from whichever unpacked package holds it, into the loader's own folder.
  const libraries = await sharedLibraryClosure(
    programs.map((p) => join(trees.get(p.package)!, p.path)),
    packages.filter((p) => p.name !== kernelPackage).map((p) => trees.get(p.name)!),
  );
  const files: CpioEntry[] = [
    await fileEntry(trees.get(BUSYBOX)!, 'bin/busybox', 'bin/busybox'),
    ...programFiles,
    await fileEntry(trees.get('libc6')!, `${lib}/${DYNAMIC_LOADER}`, `${lib}/${DYNAMIC_LOADER}`),
    ...(await Promise.all(
      libraries.map(async (l) => ({
        type: 'file' as const,
        path: `${lib}/${l.soname}`,
        data: await readFile(l.source),
        mode: 0o755,
      })),
    )),
    ...(await Promise.all(
      order.map(async (m) => ({
        type: 'file' as const,
        path: `lib/modules/${m}.ko`,
        data: await readFile(modulePaths.get(m)!),
        mode: 0o644,
      })),
    )),
    { type: 'file', path: 'init', data: new TextEncoder().encode(initScript({ modules: order })), mode: 0o755 },
  ];
  const specials: CpioEntry[] = [
    { type: 'symlink', path: `lib64/${DYNAMIC_LOADER}`, target: `/${lib}/${DYNAMIC_LOADER}` },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
  ];
  const all = [...files, ...specials];
  const entries = [...parentDirs(all.map((e) => e.path)), ...all];

  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, INITRD_FILE), writeCpio(entries));
  await copyFile(join(kernelTree, 'boot', `vmlinuz-${kernelRelease}`), join(tmp, 'vmlinuz'));
  await writeFile(join(tmp, 'kernel-release'), `${kernelRelease}\n`);
  await writeFile(join(tmp, 'modules'), `${order.join('\n')}\n`);
  await writeFile(join(tmp, '.complete'), `${key}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  log(
    `director image ready: ${programs.map((p) => p.path.split('/').pop()).join(', ')} with ${libraries.length} libraries, ${order.length} modules (${order.join(' ')})`,
  );
  return { kernel, initrd, kernelRelease, packages };
}
