/**
 * The `new-connections-return` check: after the restore, new connections reach the drained server
 * again. A restore the director acknowledges but does not act on fails here. Only a connection from a
 * source port this run never used counts as a return: on IPVS a reused port can follow an earlier
 * connection to the drained server whatever its weight, which once passed a restore that restored nothing.
 */
import { formatHostPort } from '@lvs-drain-kit/common';
import { detectionPower, percent } from '../measure/power.js';
import { AnswerTally, setAsideNote } from './answers.js';
import type { RunContext } from './context.js';
import { sampleConnection } from './fresh.js';

/** After the restore, a new connection from a fresh source port must reach the drained server within `restoreTimeoutMs`. */
export async function newConnectionsReturn(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  const deadline = started + o.restoreTimeoutMs;
  const maxTries = 1000;
  let tries = 0;
  const tally = new AnswerTally(ctx, 'returnedConnections');
  let noFreshPort = '';
  while (performance.now() < deadline && tries < maxTries) {
    ctx.throwIfAborted();
    tries++;
    const r = await sampleConnection(ctx, 'restore', `return#${tries}`);
    if ('noFreshPort' in r) {
      noFreshPort = r.noFreshPort;
      break;
    }
    if ('host' in r) {
      tally.add(r.host);
      if (r.host === ctx.drainedName) {
        ctx.check(
          'new-connections-return',
          'pass',
          `a new connection reached ${ctx.drainedName} again after ${Math.round(performance.now() - started)} ms (try ${tries}, from a source port not used before in the run)`,
          [],
          started,
        );
        return;
      }
    }
    // Give the director a moment between tries: a restore may take effect a little later.
    await new Promise((r) => setTimeout(r, Math.min(50, o.intervalMs)));
  }
  const { answered } = tally;
  const counts = String(tally);
  const hits = ctx.reuseHits.filter((h) => h.phase === 'restore').length;
  const asideNote = setAsideNote(
    ctx,
    'restore',
    hits > 0 ? ` (${hits} of them reached ${ctx.drainedName} through the reused port: see reused-source-port)` : '',
  );
  if (noFreshPort || tries === 0) {
    ctx.check(
      'new-connections-return',
      'inconclusive',
      `after ${answered} answered tries (${counts}), no more new connections could be made ${noFreshPort ? `from source ports not used before in the run (${noFreshPort})` : 'in the time allowed'}, ${Math.round(performance.now() - started)} ms into the ${o.restoreTimeoutMs} ms allowed: it is not known whether ${ctx.drainedName} takes new connections again${asideNote}`,
      [],
      started,
    );
    return;
  }
  const power = detectionPower(answered, 0);
  const bound =
    answered > 0
      ? `: had ${ctx.drainedName} taken back ${percent(power.leak, true)} or more of new connections, one of the ${answered} answered would have reached it with ${percent(power.confidence)} confidence`
      : '';
  ctx.check(
    'new-connections-return',
    'fail',
    `no new connection reached ${ctx.drainedName} (${formatHostPort(o.drain)}) within ${o.restoreTimeoutMs} ms after the restore (${tries} tries: ${counts})${bound}${asideNote}`,
    [],
    started,
    { power },
  );
}
