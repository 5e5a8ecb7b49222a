import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { DrainReport } from '../report/types.js';

/** A flag's output file can be written: its directory exists and takes files, and it is not a directory. */
export async function assertWritable(flag: string, file: string): Promise<void> {
  const path = resolve(file);
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) throw new UsageError(`${flag} ${file}: is a directory`);
  try {
    await access(dirname(path), constants.W_OK);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot write there (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Writes the HTML page and says where, with its size. */
export async function writeHtmlReport(report: DrainReport, file: string, stderr: NodeJS.WritableStream): Promise<void> {
  // The renderer and its assets load only when asked for.
  const { renderHtml } = await import('../report/html/index.js');
  const html = renderHtml(report);
  await writeFile(file, html);
  stderr.write(`html report: ${file} (${(Buffer.byteLength(html) / 1024).toFixed(0)} kB)\n`);
}
