/**
 * Writes one generated section of a results file (bench/results/telemetry.md unless `file` says otherwise), between
 * `<!-- name:start -->` and `<!-- name:end -->`, keeping the rest: several benchmarks share one file.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';

export async function writeResultSection(
  name: string,
  body: string,
  file = 'telemetry.md',
  heading = '# Telemetry benchmarks',
): Promise<void> {
  const url = new URL(`./results/${file}`, import.meta.url);
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = await readFile(url, 'utf8').catch(() => `${heading}\n`);
  const block = `${start}\n${body}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text =
    from >= 0 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(url, text);
}
