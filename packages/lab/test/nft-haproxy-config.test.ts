import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { haproxyConfig } from '../src/haproxy-config.js';
import { nginxConfig } from '../src/http-servers.js';
import { directorRuleset } from '../src/nft-ruleset.js';

const b = { table: 'ldk_lb', chain: 'lb', map: 'backends' };

describe('nft ruleset', () => {
  it('builds the director: DNAT jump for the VIP only, masquerade for DNATed flows', () => {
    const text = directorRuleset({ ...b, vip: '198.18.0.2', port: 2100 }, [
      { host: '198.18.0.11', weight: 1 },
      { host: '198.18.0.12', weight: 1 },
    ]);
    expect(text).toContain('ip daddr 198.18.0.2 tcp dport 2100 jump lb');
    expect(text).toContain('ct status dnat masquerade');
    expect(text).toContain('typeof numgen inc mod 2 : ip daddr');
    expect(text).toContain('dnat to numgen inc mod 2 map @backends');
  });

  it('balances the HTTP port through the same map', () => {
    const text = directorRuleset({ ...b, vip: '198.18.0.2', port: 2100, morePorts: [8080] }, [
      { host: '198.18.0.11', weight: 1 },
    ]);
    expect(text).toContain('ip daddr 198.18.0.2 tcp dport { 2100, 8080 } jump lb');
  });

  it('hashes the client address with --scheduler jhash, the map still declared by numgen (nft 1.0.6 cannot list a jhash-typed one)', () => {
    const servers = [
      { host: '198.18.0.11', weight: 1 },
      { host: '198.18.0.12', weight: 1 },
    ];
    const text = directorRuleset({ ...b, vip: '198.18.0.2', port: 2100, scheduler: 'jhash' }, servers);
    expect(text).toContain('typeof numgen inc mod 2 : ip daddr');
    expect(text).toContain('dnat to jhash ip saddr mod 2 map @backends');
    expect(directorRuleset({ ...b, vip: '198.18.0.2', port: 2100, scheduler: 'random' }, servers)).toContain(
      'dnat to numgen random mod 2 map @backends',
    );
  });
});

describe('haproxy config', () => {
  it('is mode tcp, roundrobin, with an admin runtime socket and one server line per real server', () => {
    const cfg = haproxyConfig({
      socket: '/run/x/haproxy.sock',
      pidFile: '/run/x/haproxy.pid',
      bind: { host: '198.18.0.2', port: 2100 },
      backend: 'lab',
      servers: [
        { name: 'rs1', host: '198.18.0.11', port: 2100 },
        { name: 'rs2', host: '198.18.0.12', port: 2100, weight: 3 },
      ],
    });
    expect(cfg).toContain('stats socket /run/x/haproxy.sock mode 600 level admin');
    expect(cfg).toMatch(/defaults\n {2}mode tcp/);
    expect(cfg).toContain('bind 198.18.0.2:2100');
    expect(cfg).toMatch(
      /backend lab\n {2}balance roundrobin\n {2}server rs1 198\.18\.0\.11:2100 weight 1\n {2}server rs2 198\.18\.0\.12:2100 weight 3\n/,
    );
    expect(cfg).not.toContain('lab_http');
  });

  it('with http: a second frontend and backend of the same servers on the HTTP port, still mode tcp', () => {
    const cfg = haproxyConfig({
      socket: '/run/x/haproxy.sock',
      pidFile: '/run/x/haproxy.pid',
      bind: { host: '198.18.0.2', port: 2100 },
      backend: 'lab',
      servers: [{ name: 'rs1', host: '198.18.0.11', port: 2100 }],
      http: { port: 8080, backend: 'lab_http' },
    });
    expect(cfg).toMatch(/frontend lab_http\n {2}bind 198\.18\.0\.2:8080\n {2}default_backend lab_http\n/);
    expect(cfg).toMatch(/backend lab_http\n {2}balance roundrobin\n {2}server rs1 198\.18\.0\.11:8080 weight 1\n/);
    expect(cfg).not.toMatch(/mode http/);
  });
});

describe('nginx config of a lab real server', () => {
  it('keeps everything under its prefix, names the server by host name in X-Served-By, holds keep-alive long', () => {
    const cfg = nginxConfig({ name: 'rs1', port: 8080, prefix: '/run/x/nginx-rs1' });
    expect(cfg).toContain('pid /run/x/nginx-rs1/nginx.pid;');
    expect(cfg).toContain('client_body_temp_path /run/x/nginx-rs1/client_body;');
    expect(cfg).toContain('add_header X-Served-By $hostname always;');
    expect(cfg).toContain('listen 8080;');
    expect(cfg).toContain('server_name rs1;');
    expect(cfg).toContain('keepalive_timeout 10m;');
    expect(cfg).toMatch(/master_process off;/);
    expect(cfg).not.toMatch(/\/etc\/nginx|\/var\//);
  });

  it("is a config Debian's nginx accepts", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ldk-nginx-'));
    try {
      await writeFile(join(dir, 'nginx.conf'), nginxConfig({ name: 'rs1', port: 8080, prefix: dir }));
      const r = await execa('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('balances as asked (balance source)', () => {
    const cfg = haproxyConfig({
      socket: '/s',
      pidFile: '/p',
      bind: { host: '198.18.0.2', port: 2100 },
      backend: 'lab',
      balance: 'source',
      servers: [{ name: 'rs1', host: '198.18.0.11', port: 2100 }],
    });
    expect(cfg).toMatch(/backend lab\n {2}balance source\n/);
  });
});
