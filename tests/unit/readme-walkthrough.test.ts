/**
 * The README walk-through's convention (tests/support/readme-walkthrough.ts): what is parsed out of the markdown and how
 * an answer is matched. The run against an instance is tests/integration/readme-walkthrough.int.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchPattern, parseWalkthrough } from '../support/readme-walkthrough.ts';

const fence = '```';
const doc = (body: string) =>
  `# title\n\n### Walk-through\n\n${fence}bash\nnpm start -- --riders 0 --speed 1\n${fence}\n\n${body}\n## Next section\n\n${fence}bash\ncurl -s nothing-to-see\n${fence}\n`;

describe('parseWalkthrough', () => {
  it('reads the start flags, the set-up lines, each command with its answer, repeats and background prints', () => {
    const w = parseWalkthrough(
      doc(`${fence}bash
API=http://127.0.0.1:8000
now() { node -p 'new Date().toISOString()'; }
${fence}

#### Orders

${fence}bash
curl -s -XPOST $API/orders -H 'content-type: application/json' \\
  -d '{"a":1,
  "b":"x # not a comment"}'
# → 201 {"id": "$ORDER"}
curl -s $API/orders/$ORDER   # a trailing comment
# → 200 {"status": "batched"}  (repeat)
node -e 'watch()' order:$ORDER &
# prints {"type": "subscribed"}
curl -s $API/metrics
# → 200
${fence}
`),
    );
    expect(w.startArgs).toEqual(['--riders', '0', '--speed', '1']);
    expect(w.setup).toEqual(['API=http://127.0.0.1:8000', "now() { node -p 'new Date().toISOString()'; }"]);
    expect(w.sections).toEqual(['Orders']);
    expect(w.steps.map((s) => [s.line, s.background, s.answer, s.prints])).toEqual([
      [17, false, { status: 201, repeat: false, body: { id: '$ORDER' } }, []],
      [21, false, { status: 200, repeat: true, body: { status: 'batched' } }, []],
      [23, true, undefined, [{ type: 'subscribed' }]],
      [25, false, { status: 200, repeat: false }, []],
    ]);
    expect(w.steps[0]!.command.split('\n')).toHaveLength(3);
  });

  it('refuses a curl command whose answer the README does not state, and an answer that is not JSON', () => {
    expect(() => parseWalkthrough(doc(`${fence}bash\ncurl -s $API/health\n${fence}\n`))).toThrow(
      /line 10: a curl command without its answer/,
    );
    expect(() => parseWalkthrough(doc(`${fence}bash\ncurl -s $API/health\n# → 200 {status: ok}\n${fence}\n`))).toThrow(
      /line 11: the answer pattern is not JSON/,
    );
    expect(() => parseWalkthrough(doc(`${fence}bash\ncurl -s $API/health\n# → ok\n${fence}\n`))).toThrow(
      /must start with its HTTP status/,
    );
    expect(() => parseWalkthrough('# no walk-through here\n')).toThrow(/no "### Walk-through" section/);
  });

  it('parses the real README: a quiet instance and every walk-through', () => {
    const w = parseWalkthrough(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
    expect(w.startArgs).toEqual(expect.arrayContaining(['--riders', '0', '--rate', '0', '--speed', '1']));
    expect(w.sections.join(' | ')).toMatch(/Orders.*Riders and delivery.*Telemetry.*WebSocket/);
    expect(w.steps.every((s) => s.answer !== undefined || s.background)).toBe(true);
  });
});

describe('matchPattern', () => {
  it('matches the named fields only, binds $NAMES once and checks them afterwards', () => {
    const vars = new Map<string, unknown>();
    expect(matchPattern({ id: '$ORDER', status: 'placed' }, { id: 'o1', status: 'placed', extra: 1 }, vars)).toBeNull();
    expect(vars.get('ORDER')).toBe('o1');
    expect(matchPattern({ id: '$ORDER' }, { id: 'o2' }, vars)).toBe('id: expected $ORDER = "o1", got "o2"');
    expect(matchPattern({ channel: 'order:$ORDER' }, { channel: 'order:o1' }, vars)).toBeNull();
  });

  it('says where an answer differs: status field, nested path, array element, missing value', () => {
    const vars = new Map<string, unknown>();
    expect(matchPattern({ status: 'batched' }, { status: 'placed' }, vars)).toBe(
      'status: expected "batched", got "placed"',
    );
    expect(matchPattern({ error: { code: 'a.b' } }, { error: { code: 'a.c' } }, vars)).toBe(
      'error.code: expected "a.b", got "a.c"',
    );
    expect(matchPattern({ items: [{ id: 'x' }] }, { items: [] }, vars)).toBe(
      'items[0]: expected an object, got undefined',
    );
    expect(matchPattern({ eta: '…' }, {}, vars)).toBe('eta: missing');
    expect(matchPattern({ eta: '…' }, { eta: null }, vars)).toBeNull();
    expect(matchPattern({ n: 144.6 }, { n: 144.6 }, vars)).toBeNull();
    expect(matchPattern({ n: 13.7 }, { n: 13.71 }, vars)).toBe('n: expected 13.7, got 13.71');
  });
});
