import junitModule, { type Builder } from 'junit-report-builder';
import type { MaintainReport } from './maintain-types.js';

// CommonJS with `module.exports = builder`, typed as an ES default export: accept either shape.
const junit: Builder = (junitModule as unknown as { default?: Builder }).default ?? (junitModule as unknown as Builder);

/**
 * One testsuite per server with a testcase per step (a server not reached: one skipped testcase), and a
 * `requests` testcase for the sampler that fails when any request failed.
 */
export function buildMaintainJunit(report: MaintainReport): string {
  const builder = junit.newBuilder();
  for (const s of report.servers) {
    const suite = builder
      .testSuite()
      .name(`lvs-verify maintain ${report.vip} ${s.name}`)
      .timestamp(report.startedAt)
      .time(s.steps.reduce((sum, k) => sum + k.durationMs, 0) / 1000);
    if (s.steps.length === 0) suite.testCase().className(`maintain.${s.name}`).name('maintain').skipped();
    for (const k of s.steps) {
      const tc = suite
        .testCase()
        .className(`maintain.${s.name}`)
        .name(k.id)
        .time(k.durationMs / 1000);
      if (k.status === 'fail') {
        const output = k.id === 'exec' && s.exec ? s.exec.output : undefined;
        tc.failure(k.message, k.id).stacktrace(output);
      } else if (k.status === 'skip') tc.skipped().standardOutput(k.message);
      else tc.standardOutput(k.message);
    }
  }
  const run = builder.testSuite().name(`lvs-verify maintain ${report.vip}`).timestamp(report.startedAt);
  run.time(report.durationMs / 1000);
  const req = report.sampler.requests;
  const tc = run
    .testCase()
    .className('maintain')
    .name('requests')
    .time(report.sampler.durationMs / 1000);
  const summary = `${req.failed} of ${req.sent} requests failed`;
  if (req.failed > 0) {
    const lines = report.sampler.failures.first.map(
      (f) => `+${f.atMs}ms ${f.connection} ${f.server || '?'} ${f.class} ${f.detail ?? ''}`,
    );
    tc.failure(summary, 'requests').stacktrace(lines.join('\n'));
  } else tc.standardOutput(summary);
  if (report.verdict === 'error' && report.error) {
    run.testCase().className('maintain').name('run').error(report.error.message, report.error.type);
  }
  return builder.build();
}
