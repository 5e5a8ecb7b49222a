/**
 * The systemd unit of examples/: its ExecStart is a command line rs-server accepts, it stops with
 * SIGTERM, and systemd waits longer than the drain and the shutdown it asks for before it kills;
 * `systemd-analyze verify` accepts it. (The HAProxy and keepalived examples are used by the lab tests.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RS_SERVER_BIN } from '@lvs-drain-kit/common';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commanderOptions, flagValues } from '../src/options/flag.js';
import { SERVE_FLAGS } from '../src/options/serve.js';

const exec = promisify(execFile);
const UNIT = readFileSync(new URL('../../../examples/rs-server.service', import.meta.url), 'utf8');
const INSTALLED = '/usr/local/bin/rs-server';

/** The [Service] section's settings (comments and other sections left out). */
function service(): Record<string, string> {
  const section = UNIT.slice(UNIT.indexOf('[Service]'), UNIT.indexOf('[Install]'));
  return Object.fromEntries(
    section
      .split('\n')
      .filter((l) => /^[A-Za-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** systemd's time span: "75s", "1min 30s", "2min"; a bare number is seconds. */
function seconds(span: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const [, n, unit] of span.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/g))
    total += Number(n) * (units[unit || 's'] ?? Number.NaN);
  return total;
}

describe('examples/rs-server.service', () => {
  it('ExecStart is a valid rs-server command line; SIGTERM; systemd waits out the drain and the shutdown', () => {
    const s = service();
    const [bin, ...args] = s.ExecStart!.split(/\s+/);
    expect(bin).toBe(INSTALLED);
    const serve = new Command().exitOverride().argument('[port]');
    for (const o of commanderOptions(SERVE_FLAGS)) serve.addOption(o);
    serve.parse(args, { from: 'user' });
    const flags = flagValues(SERVE_FLAGS, serve.opts());
    expect(flags.drainOnTermMs).toBeGreaterThan(0);
    expect(s.KillSignal).toBe('SIGTERM');
    expect(s.KillMode).toBe('mixed');
    const stopS = seconds(s.TimeoutStopSec!);
    expect(stopS).toBeGreaterThan((flags.drainOnTermMs + flags.shutdownTimeoutMs) / 1000);
    // The control socket lives in the unit's owner-only runtime directory.
    expect(flags.ctlPath).toBe(`/run/${s.RuntimeDirectory}/ctl.sock`);
    expect(s.RuntimeDirectoryMode).toBe('0700');
  });

  it('systemd-analyze verify accepts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-unit-'));
    try {
      const file = join(dir, 'rs-server.service');
      writeFileSync(file, UNIT.replaceAll(INSTALLED, RS_SERVER_BIN));
      const { stderr } = await exec('systemd-analyze', ['verify', file]);
      expect(stderr).toBe('');
      // …and would say so: an unknown key is reported.
      writeFileSync(file, UNIT.replaceAll(INSTALLED, RS_SERVER_BIN).replace('KillMode=', 'KilMode='));
      const bad = await exec('systemd-analyze', ['verify', file]).catch((e: { stderr: string }) => e);
      expect(bad.stderr).toMatch(/Unknown key 'KilMode'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
