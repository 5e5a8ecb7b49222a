/**
 * The IPVS director's boot files: a stock Debian kernel and an initramfs with busybox, ipvsadm and the
 * modules IPVS needs. Built once per set of package versions and kept in the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type CpioEntry, parentDirs, writeCpio } from './cpio.js';
import { fetchPackages, type PackageVersion, resolveKernelPackage, resolveVersions } from './debian-packages.js';
import { LabError } from './errors.js';
import { initScript } from './init-script.js';
import { type ModuleInfo, modinfoSection, normaliseModuleName, parseModinfo } from './modinfo.js';
import { moduleLoadOrder } from './module-order.js';
import { LAB_SCHEDULERS } from './plan.js';

export interface DirectorImage {
  kernel: string;
  initrd: string;
  kernelRelease: string;
  packages: PackageVersion[];
}

export interface DirectorImageOptions {
  cacheDir: string;
  /** Debian metapackage naming the kernel flavour; the cloud one is the smallest (~27 MB). */
  kernelMetapackage?: string;
  log?: (line: string) => void;
}

/**
 * Modules the director loads (with whatever they depend on): the NIC, IPVS and every scheduler the lab
 * offers. The VM has no modprobe, so a scheduler whose module is not loaded at boot cannot be used.
 */
export const DIRECTOR_MODULES = ['virtio_pci', 'virtio_net', 'ip_vs', ...LAB_SCHEDULERS.ipvs.map((s) => `ip_vs_${s}`)];

const USERLAND = ['busybox-static', 'ipvsadm', 'libnl-3-200', 'libnl-genl-3-200', 'libpopt0', 'libc6'];

/** Bump when the image layout changes (a changed /init changes the key by itself). */
const IMAGE_FORMAT = '2';

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
 * The kernel package and the versions apt would fetch. Asking apt-cache costs ~2 s per run here, so the
 * answer is kept in the cache until apt's lists or sources change.
 */
async function resolveDirectorPackages(cacheDir: string, metapackage: string) {
  const file = join(cacheDir, 'apt-resolution.json');
  const key = JSON.stringify({ metapackage, USERLAND, apt: await aptFingerprint() });
  const saved = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as { key: string; kernelPackage: string; packages: PackageVersion[] },
    () => undefined,
  );
  if (saved?.key === key) return saved;
  const kernelPackage = await resolveKernelPackage(metapackage);
  const packages = await resolveVersions([kernelPackage, ...USERLAND]);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(file, JSON.stringify({ key, kernelPackage, packages }));
  return { key, kernelPackage, packages };
}

export async function buildDirectorImage(options: DirectorImageOptions): Promise<DirectorImage> {
  const log = options.log ?? (() => {});
  const { kernelPackage, packages } = await resolveDirectorPackages(
    options.cacheDir,
    options.kernelMetapackage ?? 'linux-image-cloud-amd64',
  );
  const key = createHash('sha256')
    .update(
      JSON.stringify({ IMAGE_FORMAT, packages, DIRECTOR_MODULES, init: initScript({ modules: DIRECTOR_MODULES }) }),
    )
    .digest('hex')
    .slice(0, 16);
  const dir = join(options.cacheDir, 'images', `ipvs-director-${key}`);
  const kernel = join(dir, 'vmlinuz');
  const initrd = join(dir, 'initramfs.gz');
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

  const bb = trees.get('busybox-static')!;
  const lib = 'lib/x86_64-linux-gnu';
  const files: CpioEntry[] = [
    await fileEntry(bb, 'bin/busybox', 'bin/busybox'),
    await fileEntry(trees.get('ipvsadm')!, 'sbin/ipvsadm', 'sbin/ipvsadm'),
    await fileEntry(trees.get('libc6')!, `${lib}/libc.so.6`, `${lib}/libc.so.6`),
    await fileEntry(trees.get('libc6')!, `${lib}/ld-linux-x86-64.so.2`, `${lib}/ld-linux-x86-64.so.2`),
    await fileEntry(trees.get('libnl-3-200')!, `${lib}/libnl-3.so.200`, `${lib}/libnl-3.so.200`),
    await fileEntry(trees.get('libnl-genl-3-200')!, `${lib}/libnl-genl-3.so.200`, `${lib}/libnl-genl-3.so.200`),
    await fileEntry(trees.get('libpopt0')!, `usr/${lib}/libpopt.so.0`, `${lib}/libpopt.so.0`),
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
    { type: 'symlink', path: 'lib64/ld-linux-x86-64.so.2', target: `/${lib}/ld-linux-x86-64.so.2` },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
  ];
  const all = [...files, ...specials];
  const entries = [...parentDirs(all.map((e) => e.path)), ...all];

  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, 'initramfs.gz'), gzipSync(writeCpio(entries), { level: 1 }));
  await copyFile(join(kernelTree, 'boot', `vmlinuz-${kernelRelease}`), join(tmp, 'vmlinuz'));
  await writeFile(join(tmp, 'kernel-release'), `${kernelRelease}\n`);
  await writeFile(join(tmp, 'modules'), `${order.join('\n')}\n`);
  await writeFile(join(tmp, '.complete'), `${key}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  log(`director image ready: ${order.length} modules (${order.join(' ')})`);
  return { kernel, initrd, kernelRelease, packages };
}
