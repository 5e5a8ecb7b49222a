import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLibraryPackage, parseAptCacheDepends } from '../src/debian-packages.js';
import { elfNeeded, elfSections } from '../src/elf.js';
import { sharedLibraryClosure } from '../src/shared-libraries.js';
import { elfFile } from './elf-fixture.js';

/** A 64-bit little-endian ELF file whose .dynamic section names `needed` (DT_NEEDED), like a linked program. */
function dynamicElf(needed: readonly string[]): Buffer {
  const dynstr = Buffer.from(`\0${needed.map((n) => `${n}\0`).join('')}`);
  const entries = [
    ...needed.map((_, i) => [1n, BigInt(1 + needed.slice(0, i).join('\0').length + (i ? 1 : 0))]),
    [0n, 0n],
  ];
  const dynamic = Buffer.alloc(entries.length * 16);
  entries.forEach(([tag, value], i) => {
    dynamic.writeBigInt64LE(tag!, i * 16);
    dynamic.writeBigUInt64LE(value!, i * 16 + 8);
  });
  return elfFile([
    { name: '.dynstr', body: dynstr, type: 3 },
    { name: '.dynamic', body: dynamic, type: 6, link: 2 },
  ]);
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('ELF', () => {
  it('reads DT_NEEDED in order, and nothing from a file without .dynamic', () => {
    const elf = dynamicElf(['libnl-3.so.200', 'libc.so.6']);
    expect(elfSections(elf).map((s) => s.name)).toEqual(['', '.shstrtab', '.dynstr', '.dynamic']);
    expect(elfNeeded(elf)).toEqual(['libnl-3.so.200', 'libc.so.6']);
    expect(elfNeeded(dynamicElf([]))).toEqual([]);
    expect(() => elfNeeded(Buffer.from('#!/bin/sh\n'))).toThrow(/not an ELF file/);
  });

  it('reads the libraries this Node binary was linked with', async () => {
    // The host's own node: a real linker's output, not only the fixture above.
    expect(elfNeeded(await readFile(process.execPath))).toContain('libc.so.6');
  });
});

describe('shared library closure', () => {
  it('follows DT_NEEDED through the unpacked packages, each library once, symlinks resolved', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ldk-libs-'));
    const tree = (name: string, lib: string) => join(dir!, name, lib);
    await mkdir(tree('prog', 'usr/sbin'), { recursive: true });
    await mkdir(tree('libc6', 'lib/x86_64-linux-gnu'), { recursive: true });
    await mkdir(tree('libnl', 'lib/x86_64-linux-gnu'), { recursive: true });
    await mkdir(tree('libssl', 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    const program = tree('prog', 'usr/sbin/keepalived');
    await writeFile(program, dynamicElf(['libnl-3.so.200', 'libssl.so.3', 'libc.so.6']));
    await writeFile(tree('libnl', 'lib/x86_64-linux-gnu/libnl-3.so.200.26.0'), dynamicElf(['libc.so.6']));
    await symlink('libnl-3.so.200.26.0', tree('libnl', 'lib/x86_64-linux-gnu/libnl-3.so.200'));
    await writeFile(
      tree('libssl', 'usr/lib/x86_64-linux-gnu/libssl.so.3'),
      dynamicElf(['libcrypto.so.3', 'libc.so.6']),
    );
    await writeFile(tree('libc6', 'lib/x86_64-linux-gnu/libc.so.6'), dynamicElf(['ld-linux-x86-64.so.2']));
    const trees = ['prog', 'libc6', 'libnl', 'libssl'].map((t) => join(dir!, t));
    await expect(sharedLibraryClosure([program], trees)).rejects.toThrow(
      'libcrypto.so.3, needed by libssl.so.3, is in none of the unpacked packages',
    );
    await writeFile(tree('libssl', 'usr/lib/x86_64-linux-gnu/libcrypto.so.3'), dynamicElf(['libc.so.6']));
    const libs = await sharedLibraryClosure([program], trees);
    expect(libs.map((l) => l.soname)).toEqual(['libnl-3.so.200', 'libssl.so.3', 'libc.so.6', 'libcrypto.so.3']);
    expect(libs[0]!.source).toBe(tree('libnl', 'lib/x86_64-linux-gnu/libnl-3.so.200.26.0'));
  });
});

describe('apt-cache depends', () => {
  it('keeps hard dependencies, the first of each OR group, no virtual packages and no providers', () => {
    const text = [
      'keepalived',
      '  PreDepends: init-system-helpers',
      '  Depends: libc6',
      '  Depends: libsystemd0',
      '    libelogind0',
      '  |Depends: libssl3',
      '  Depends: libssl1.1',
      '  Depends: <debconf-2.0>',
      '    cdebconf',
      '  Recommends: ipvsadm',
      'libc6',
      '  Depends: libgcc-s1',
    ].join('\n');
    const deps = parseAptCacheDepends(text);
    expect(deps.get('keepalived')).toEqual(['init-system-helpers', 'libc6', 'libsystemd0', 'libssl3']);
    expect(deps.get('libc6')).toEqual(['libgcc-s1']);
    expect(['libc6', 'zlib1g', 'perl-base', 'iproute2'].filter(isLibraryPackage)).toEqual(['libc6', 'zlib1g']);
  });
});
