/** Writes one generated section of bench/results/telemetry.md (between `<!-- name:start -->` and `<!-- name:end -->`), keeping the rest. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';

const FILE = new URL('./results/telemetry.md', import.meta.url);

export async function writeResultSection(name: string, body: string): Promise<void> {
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = await readFile(FILE, 'utf8').catch(() => '# Telemetry benchmarks\n');
  const block = `${start}\n${body}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(FILE, text);
}
