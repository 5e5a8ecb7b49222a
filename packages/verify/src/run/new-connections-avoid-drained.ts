/**
 * The `new-connections-avoid-drained` check: once the weight is 0, no new connection may reach the
 * drained server. The other half of what a drain promises, proven by where connections go, not by what
 * the director says — and only by connections the director really scheduled (fresh source ports), with
 * the strength of "none reached it" stated: the smallest leak the sample would have caught.
 */
import { detectionPower, percent, powerPhrase } from '../measure/power.js';
import type { Failure, FailureClass } from '../report/types.js';
import { AnswerTally, setAsideNote } from './answers.js';
import type { RunContext } from './context.js';
import { sampleConnection } from './fresh.js';
import { watchWeight } from './weight-unchanged.js';

/** New connections in flight at once. */
const CONCURRENCY = 8;

/** `newConnections` new connections from fresh source ports after the drain: none may be answered by the drained host. */
export async function newConnectionsAvoidDrained(ctx: RunContext): Promise<void> {
  const o = ctx.options;
  const started = performance.now();
  ctx.startPhase('new-connections', `opening ${o.newConnections} new connections`);
  const failures: Failure[] = [];
  const tally = new AnswerTally(ctx, 'newConnections');
  let noFreshPort = '';
  let next = 1;
  // A few at a time: 59 one after another cost 59 round trips of connect, hello and close.
  const worker = async () => {
    while (next <= o.newConnections && !noFreshPort) {
      ctx.throwIfAborted();
      const t = performance.now();
      const id = `new#${next++}`;
      const r = await sampleConnection(ctx, 'new-connections', id);
      if ('noFreshPort' in r) {
        noFreshPort = r.noFreshPort;
        return;
      }
      let failure: Failure | undefined;
      if ('host' in r) {
        tally.add(r.host);
        if (r.host === ctx.drainedName) {
          failure = {
            class: 'wrong-host',
            connection: id,
            server: r.host,
            atMs: ctx.sinceDrain(),
            detail: `answered by the drained server ${r.host}`,
          };
        }
      } else {
        failure = { class: r.class, connection: id, server: '', atMs: ctx.sinceDrain(), detail: r.detail };
      }
      if (failure) {
        failures.push(failure);
        if (failure.server) ctx.countFailure(failure.server, failure.class as FailureClass);
        ctx.disruptions.sample(ctx.sinceDrain(t), ctx.sinceDrain(), [failure]);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, o.newConnections) }, worker));
  failures.sort((a, b) => a.atMs - b.atMs);
  const reached = failures.filter((f) => f.class === 'wrong-host').length;
  const { answered } = tally;
  const power = detectionPower(answered, reached);
  const counts = String(tally);
  // The weight this run set must still be 0, or the connections above say nothing about the drain.
  await watchWeight(ctx, 'after the new connections');
  const drift = ctx.weightWatch.drift;
  if (drift) {
    ctx.check(
      'new-connections-avoid-drained',
      'skip',
      `not tested: ${ctx.drainedName}'s weight was changed to ${drift.to} by something other than this run, seen ${drift.when}, so what these connections saw is not about the drain (${reached} of ${answered} reached it; ${counts}) — see weight-unchanged`,
      [],
      started,
    );
    return;
  }
  const asideNote = setAsideNote(ctx, 'new-connections');
  if (failures.length === 0 && noFreshPort) {
    // Fewer connections than asked: the sample is weaker than the one the settings promised.
    ctx.check(
      'new-connections-avoid-drained',
      'inconclusive',
      `only ${answered} of ${o.newConnections} new connections could be made from source ports not used before in the run (${noFreshPort}); ${answered > 0 ? `none reached ${ctx.drainedName}, but only ${powerPhrase(power)}` : 'nothing shows where new connections go'}${asideNote}`,
      [],
      started,
      { power },
    );
    return;
  }
  if (failures.length === 0) {
    ctx.check(
      'new-connections-avoid-drained',
      'pass',
      `0 of ${answered} new connections reached ${ctx.drainedName}: ${powerPhrase(power)} (${counts})${asideNote}`,
      [],
      started,
      { power },
    );
    return;
  }
  const broken = failures.length - reached;
  const parts = [];
  if (reached > 0)
    parts.push(
      `${reached} of ${answered} new connections reached the drained server ${ctx.drainedName} (${percent(reached / answered)})`,
    );
  if (broken > 0)
    parts.push(
      `${broken} got no answer (${[...new Set(failures.filter((f) => f.class !== 'wrong-host').map((f) => f.class))].join(', ')})`,
    );
  const why = broken > 0 && ctx.affinity?.refusesDrained ? `; ${ctx.affinity.refusesDrained}` : '';
  ctx.check(
    'new-connections-avoid-drained',
    'fail',
    `${parts.join('; ')} (${counts})${asideNote}${why}`,
    failures,
    started,
    {
      power,
    },
  );
}
