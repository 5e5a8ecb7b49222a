/**
 * The `identity-agrees` check, a check of the verifier itself: where both the service's answers and the
 * director's table name the server of each connection, they must name the same one. A disagreement
 * means one of them cannot be trusted for this run, so every verdict built on it is in doubt.
 */
import type { Failure, IdentityReport } from '../report/types.js';
import type { RunContext } from './context.js';
import { identityText } from './preflight.js';

export function identityAgrees(ctx: RunContext): void {
  const ids = ctx.identity;
  if (!ids) return;
  const { plan, ledger } = ids;
  if (plan.mode !== 'both') {
    ctx.check('identity-agrees', 'skip', `${identityText(plan)} only: nothing to cross-check`);
    return;
  }
  const n = ledger.disagreements.length;
  if (n === 0) {
    ctx.check(
      'identity-agrees',
      'pass',
      `the director's table and the answers named the same server for all ${ledger.crossChecked} connections`,
    );
    return;
  }
  const failures: Failure[] = ledger.disagreements.map((d) => ({
    class: 'wrong-host',
    connection: d.client,
    server: d.service,
    atMs: d.atMs,
    detail: d.director
      ? `the director says ${d.director}, the answer ${d.service}`
      : `the director does not list it; the answer says ${d.service}`,
  }));
  ctx.check(
    'identity-agrees',
    'fail',
    `for ${n} of ${ledger.crossChecked} connections the director (${plan.director}) and the answers (${plan.service}) named different servers: which server held what is in doubt for this run`,
    failures,
  );
}

/** The report's `identity`. */
export function identityReport(ctx: RunContext): IdentityReport | undefined {
  const ids = ctx.identity;
  if (!ids) return undefined;
  const t = ids.table;
  return {
    mode: ids.plan.mode,
    ...(ids.plan.director ? { director: ids.plan.director } : {}),
    ...(ids.plan.service ? { service: ids.plan.service } : {}),
    crossChecked: ids.ledger.crossChecked,
    disagreements: ids.ledger.disagreements.length,
    directorReads: t?.reads ?? 0,
    ...(t && t.reads > 0 ? { directorReadMeanMs: Math.round((t.readMs / t.reads) * 10) / 10 } : {}),
  };
}
