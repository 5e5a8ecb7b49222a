import { readFile } from 'node:fs/promises';
import { EXIT, UsageError } from '../../errors.js';
import { useColor } from '../../progress-printer.js';
import { renderHuman } from '../../report/human.js';
import { parseReport } from '../../report/read.js';
import { writeHtmlReport } from '../write-html.js';

export interface ReportIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
}

/** `lvs-verify report FILE.json [--html OUT]`: the saved report as text, or as the HTML page. */
export async function reportCommand(file: string, flags: { html?: string }, io: ReportIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const report = parseReport(text, file);
  if (flags.html) await writeHtmlReport(report, flags.html, io.stderr);
  else io.stdout.write(renderHuman(report, { color: useColor(io.stdout) }));
  return EXIT.pass;
}
