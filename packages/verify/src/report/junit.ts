import junitModule, { type Builder } from 'junit-report-builder';
import { signed } from './time.js';
import type { DrainReport } from './types.js';

// CommonJS with `module.exports = builder`, typed as an ES default export: accept either shape.
const junit: Builder = (junitModule as unknown as { default?: Builder }).default ?? (junitModule as unknown as Builder);
/** One testcase per check, named by its id; `warn` passes with the message on stdout. */
export function buildJunit(report: DrainReport): string {
  const builder = junit.newBuilder();
  const suite = builder
    .testSuite()
    .name(
      `lvs-verify drain-test ${report.vip} drain ${report.drain.name ?? `${report.drain.host}:${report.drain.port}`}`,
    )
    .timestamp(report.startedAt)
    .time(report.durationMs / 1000);
  for (const c of report.checks) {
    const tc = suite
      .testCase()
      .className('drain-test')
      .name(c.id)
      .time((c.durationMs ?? 0) / 1000);
    const failures = c.failures
      .map((f) => `${f.connection} ${f.server} ${f.class} ${signed(f.atMs)}ms ${f.detail ?? ''}`)
      .join('\n');
    if (c.status === 'fail') tc.failure(c.message, c.failures[0]?.class ?? 'fail').stacktrace(failures || undefined);
    else if (c.status === 'skip') tc.skipped().standardOutput(c.message);
    // Nothing was observed: not a pass, and not the load balancer's failure either.
    else if (c.status === 'inconclusive') tc.error(c.message, 'inconclusive');
    else tc.standardOutput(c.status === 'warn' ? `WARN: ${c.message}\n${failures}` : c.message);
  }
  if (report.verdict === 'error' && report.error) {
    suite.testCase().className('drain-test').name('run').error(report.error.message, report.error.type);
  }
  return builder.build();
}
