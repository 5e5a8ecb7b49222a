import { describe, expect, it } from 'vitest';
import { agentReply, stateFromAgentReply } from '../src/agent.js';
import { CHECK_EXIT, checkExitCode } from '../src/commands/check/index.js';
import { formatControlRequest, parseControlRequest } from '../src/control/protocol.js';
import { DrainState, StateLockedError } from '../src/state.js';
import { healthz } from '../src/status-http.js';

describe('drain state', () => {
  it('goes ready → drain → ready on request and on SIGUSR2, counting health checks since the change', () => {
    const s = new DrainState();
    const changes: string[] = [];
    s.on('change', (c) => changes.push(`${c.previous}→${c.current.state} by ${c.current.by}`));
    s.observed('agent');
    expect(s.snapshot().observedSinceChange).toBe(1);
    s.request('drain', 'ctl');
    expect(s.snapshot()).toMatchObject({ state: 'drain', by: 'ctl', observedSinceChange: 0 });
    s.request('drain', 'ctl'); // no change, no event
    s.toggleDrain('SIGUSR2');
    s.request('maint', 'ctl');
    s.toggleDrain('SIGUSR2');
    expect(changes).toEqual([
      'ready→drain by ctl',
      'drain→ready by SIGUSR2',
      'ready→maint by ctl',
      'maint→drain by SIGUSR2',
    ]);
  });

  it('once SIGTERM arrived, operators cannot change it any more', () => {
    const s = new DrainState();
    s.terminate('drain', 'SIGTERM');
    expect(() => s.request('ready', 'ctl')).toThrow(StateLockedError);
    expect(() => s.toggleDrain('SIGUSR2')).toThrow(StateLockedError);
    expect(() => s.setWeight(50, 'ctl')).toThrow(StateLockedError);
    s.terminate('stopping', 'SIGTERM');
    expect(s.snapshot()).toMatchObject({ state: 'stopping', terminating: true });
  });
});

describe('what health checkers are told', () => {
  const at = (state: 'ready' | 'drain' | 'maint' | 'stopping', weightPercent?: number) => {
    const s = new DrainState();
    if (weightPercent !== undefined) s.setWeight(weightPercent, 'test');
    if (state === 'stopping') s.terminate('stopping', 'SIGTERM');
    else s.request(state, 'test');
    return s.snapshot();
  };

  it('HAProxy agent: up ready (with a weight only when one was set), up drain, maint, drain + stopped', () => {
    expect(agentReply(at('ready'))).toBe('up ready\n');
    expect(agentReply(at('ready', 50))).toBe('up ready 50%\n');
    expect(agentReply(at('drain'))).toBe('up drain\n');
    expect(agentReply(at('maint'))).toBe('maint\n');
    expect(agentReply(at('stopping'))).toBe('drain stopped#rs-server is stopping\n');
  });

  it.each([
    ['up ready', 'ready'],
    ['up ready 50%', 'ready'],
    ['75%', 'ready'],
    ['up drain', 'drain'],
    ['0%', 'drain'],
    ['maint', 'down'],
    ['drain stopped#rs-server is stopping', 'down'],
    ['DOWN#no database', 'down'],
    ['', 'down'],
  ])('an agent answering %j means %s to `check --agent`', (line, state) => {
    expect(stateFromAgentReply(line)).toBe(state);
  });

  it('every answer of our agent reads back as its state', () => {
    for (const s of ['ready', 'drain', 'maint', 'stopping'] as const) {
      expect(stateFromAgentReply(agentReply(at(s)).trimEnd())).toBe(s === 'maint' || s === 'stopping' ? 'down' : s);
    }
  });

  it('keepalived misc_dynamic: 0 (or weight+2) ready, 2 draining, 1 otherwise', () => {
    expect(checkExitCode('ready', undefined)).toBe(CHECK_EXIT.ready);
    expect(checkExitCode('ready', 5)).toBe(7);
    expect(checkExitCode('drain', 5)).toBe(CHECK_EXIT.draining);
    expect(checkExitCode('maint', 5)).toBe(CHECK_EXIT.down);
    expect(checkExitCode('stopping', undefined)).toBe(CHECK_EXIT.down);
    expect(checkExitCode(undefined, undefined)).toBe(CHECK_EXIT.down);
  });

  it('/healthz: 200 only while ready', () => {
    expect(healthz(at('ready'), 3).status).toBe(200);
    expect(JSON.parse(healthz(at('ready'), 3).body)).toMatchObject({ state: 'ready', open: 3 });
    for (const s of ['drain', 'maint', 'stopping'] as const) expect(healthz(at(s), 0).status).toBe(503);
  });
});

describe('control protocol', () => {
  it.each([
    ['status', { kind: 'status' }],
    ['check', { kind: 'check' }],
    [' drain ', { kind: 'state', state: 'drain' }],
    ['ready', { kind: 'state', state: 'ready' }],
    ['maint', { kind: 'state', state: 'maint' }],
    ['weight 50', { kind: 'weight', percent: 50 }],
    ['weight 256%', { kind: 'weight', percent: 256 }],
    ['weight none', { kind: 'weight', percent: undefined }],
  ])('reads %j', (line, request) => {
    expect(parseControlRequest(line)).toEqual(request);
    expect(parseControlRequest(formatControlRequest(parseControlRequest(line)))).toEqual(request);
  });

  it.each([['weight 257'], ['weight'], ['weight -1'], ['drain now'], ['reboot'], ['']])('refuses %j', (line) => {
    expect(() => parseControlRequest(line)).toThrow();
  });
});
