/**
 * The README's walk-through as data, so a test can run it exactly as written (tests/integration/readme-walkthrough.int.test.ts).
 *
 * Convention (README.md, section "Walk-through", up to the next `## ` heading): every ```bash block is a sequence of
 * shell commands (a command may span lines: a trailing `\` or an open quote continues it). Each command is followed by
 * comment lines that say what it answers:
 *   `# → 201 {"id": "$ORDER", "status": "placed"}`  the HTTP status and a JSON pattern of the body (optional);
 *   `# → 200 {…}  (repeat)`                        the same, reached by running the command again (dispatch works in
 *                                                   the background);
 *   `# prints {"type": "subscribed"}`              a line the last background command (`… &`) prints, sooner or later.
 * A JSON pattern names only the fields that matter: objects match when each named key matches, arrays element by
 * element (the answer may have more), `"…"` is any value, and `"$NAME"` binds NAME to the value the first time and
 * must equal it afterwards (the README's `$NAME` in later commands is that value). Commands with no `# →` are the
 * start command (`npm start -- …`) or set-up lines (variables, functions) that every later command runs first.
 */

/** One expectation on a command's answer. */
export interface AnswerExpectation {
  status: number;
  /** The JSON pattern, when the README states one. */
  body?: unknown;
  /** Run the command again until it answers this. */
  repeat: boolean;
}

/** A command of the walk-through with what it must answer. */
export interface WalkthroughStep {
  /** 1-based line of the command in the README, for messages. */
  line: number;
  /** The `####` heading it belongs to. */
  section: string;
  /** The shell text, exactly as in the README (continuation lines included). */
  command: string;
  /** Runs in the background (`… &`): later `prints` expectations read its output. */
  background: boolean;
  answer?: AnswerExpectation;
  /** Lines the background command prints after this step (patterns). */
  prints: unknown[];
}

export interface Walkthrough {
  /** The arguments after `npm start --`. */
  startArgs: string[];
  /** Set-up lines (variables, shell functions), in order. */
  setup: string[];
  steps: WalkthroughStep[];
  /** The `####` headings, in order. */
  sections: string[];
}

/** Splits shell text into commands: a newline ends one unless inside quotes or after a `\`. Comments are kept apart. */
export function splitCommands(
  lines: readonly { text: string; line: number }[],
): Array<{ kind: 'command' | 'comment'; text: string; line: number }> {
  const out: Array<{ kind: 'command' | 'comment'; text: string; line: number }> = [];
  let current: { text: string; line: number } | undefined;
  let quote: "'" | '"' | undefined;
  for (const { text, line } of lines) {
    if (!current && !quote) {
      const trimmed = text.trim();
      if (trimmed === '') continue;
      if (trimmed.startsWith('#')) {
        out.push({ kind: 'comment', text: trimmed, line });
        continue;
      }
    }
    current = current ? { text: `${current.text}\n${text}`, line: current.line } : { text, line };
    // Scan this line for quote state; a `#` after whitespace outside quotes starts a comment (to the end of the line).
    let escaped = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (escaped) {
        escaped = false;
        continue;
      }
      if (quote === "'") {
        if (ch === "'") quote = undefined;
        continue;
      }
      if (ch === '\\') {
        escaped = true;
        continue;
      }
      if (quote === '"') {
        if (ch === '"') quote = undefined;
        continue;
      }
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) break;
    }
    const continued = quote !== undefined || (escaped && text.endsWith('\\'));
    if (!continued) {
      out.push({ kind: 'command', text: current.text, line: current.line });
      current = undefined;
    }
  }
  if (current) throw new Error(`README line ${current.line}: unterminated command (open quote or trailing \\)`);
  return out;
}

/** Parses `# → 200 {…}  (repeat)`. */
export function parseAnswer(comment: string, line: number): AnswerExpectation {
  let rest = comment.replace(/^#\s*→\s*/, '').trim();
  let repeat = false;
  const note = /\s+\(([^()]*)\)$/.exec(rest);
  if (note) {
    repeat = /\brepeat\b/.test(note[1]!);
    rest = rest.slice(0, note.index).trim();
  }
  const m = /^(\d{3})(?:\s+(.*))?$/.exec(rest);
  if (!m) throw new Error(`README line ${line}: an answer must start with its HTTP status: ${comment}`);
  const answer: AnswerExpectation = { status: Number(m[1]), repeat };
  if (m[2] !== undefined) answer.body = parsePattern(m[2], line);
  return answer;
}

function parsePattern(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`README line ${line}: the answer pattern is not JSON (${(error as Error).message}): ${text}`);
  }
}

/** Reads the walk-through out of the README's text. */
export function parseWalkthrough(markdown: string): Walkthrough {
  const all = markdown.split('\n');
  const begin = all.findIndex((l) => /^### Walk-through\b/.test(l));
  if (begin < 0) throw new Error('README.md has no "### Walk-through" section');
  // The section ends at the next `#`/`##` heading outside a code block (a shell comment is not a heading).
  let end = all.length;
  for (let i = begin + 1, fenced = false; i < all.length; i++) {
    if (all[i]!.startsWith('```')) fenced = !fenced;
    else if (!fenced && /^##?\s/.test(all[i]!)) {
      end = i;
      break;
    }
  }
  const result: Walkthrough = { startArgs: [], setup: [], steps: [], sections: [] };
  let section = '';
  let startFound = false;
  for (let i = begin + 1; i < end; i++) {
    const heading = /^####\s+(.*)$/.exec(all[i]!);
    if (heading) {
      section = heading[1]!.trim();
      result.sections.push(section);
      continue;
    }
    if (all[i] !== '```bash') continue;
    const block: { text: string; line: number }[] = [];
    for (i++; i < end && all[i] !== '```'; i++) block.push({ text: all[i]!, line: i + 1 });
    let last: WalkthroughStep | undefined;
    for (const item of splitCommands(block)) {
      if (item.kind === 'comment') {
        if (/^#\s*→/.test(item.text)) {
          if (!last) throw new Error(`README line ${item.line}: an answer with no command before it`);
          if (last.answer)
            throw new Error(`README line ${item.line}: a second answer for the command of line ${last.line}`);
          last.answer = parseAnswer(item.text, item.line);
        } else if (/^#\s*prints\s/.test(item.text)) {
          if (!last) throw new Error(`README line ${item.line}: "prints" with no command before it`);
          if (!result.steps.some((s) => s.background))
            throw new Error(`README line ${item.line}: "prints" but nothing runs in the background`);
          last.prints.push(parsePattern(item.text.replace(/^#\s*prints\s+/, ''), item.line));
        }
        continue;
      }
      const start = /^npm start(?: -- (.*))?$/.exec(item.text.trim());
      if (start) {
        if (startFound) throw new Error(`README line ${item.line}: a second start command`);
        startFound = true;
        result.startArgs = start[1] ? start[1].trim().split(/\s+/) : [];
        last = undefined;
        continue;
      }
      const background = /&\s*$/.test(item.text);
      last = { line: item.line, section, command: item.text, background, prints: [] };
      result.steps.push(last);
    }
    // Steps without an answer are set-up lines, unless they run something the reader must be told the answer of.
    for (const step of [...result.steps]) {
      if (step.answer || step.background) continue;
      if (/^\s*curl\b/.test(step.command))
        throw new Error(`README line ${step.line}: a curl command without its answer (# → STATUS …)`);
      result.setup.push(step.command);
      result.steps.splice(result.steps.indexOf(step), 1);
    }
  }
  if (!startFound) throw new Error('the walk-through does not say how to start the instance (npm start -- …)');
  return result;
}

/** Where a pattern and an answer differ, or null when the answer matches (binding `$NAME`s into `vars`). */
export function matchPattern(pattern: unknown, actual: unknown, vars: Map<string, unknown>, path = ''): string | null {
  const at = path === '' ? 'the answer' : path;
  if (pattern === '…') return actual === undefined ? `${at}: missing` : null;
  if (typeof pattern === 'string') {
    const variable = /^\$([A-Z][A-Z0-9_]*)$/.exec(pattern)?.[1];
    if (variable) {
      if (actual === undefined || actual === null) return `${at}: expected $${variable}, got ${JSON.stringify(actual)}`;
      if (!vars.has(variable)) {
        vars.set(variable, actual);
        return null;
      }
      return vars.get(variable) === actual
        ? null
        : `${at}: expected $${variable} = ${JSON.stringify(vars.get(variable))}, got ${JSON.stringify(actual)}`;
    }
    // A string with $NAME inside (a channel such as "order:$ORDER"): substitute the bound values.
    const expanded = pattern.replace(/\$([A-Z][A-Z0-9_]*)/g, (whole, name: string) =>
      vars.has(name) ? String(vars.get(name)) : whole,
    );
    return expanded === actual ? null : `${at}: expected ${JSON.stringify(expanded)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < pattern.length; i++) {
      const diff = matchPattern(pattern[i], actual[i], vars, `${path}[${i}]`);
      if (diff) return diff;
    }
    return null;
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(pattern)) {
      const diff = matchPattern(
        value,
        (actual as Record<string, unknown>)[key],
        vars,
        path === '' ? key : `${path}.${key}`,
      );
      if (diff) return diff;
    }
    return null;
  }
  return Object.is(pattern, actual)
    ? null
    : `${at}: expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`;
}
