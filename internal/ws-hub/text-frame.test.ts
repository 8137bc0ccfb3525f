import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { textFrame } from './text-frame.ts';

/** ws's frame builder (exported at runtime, absent from @types/ws). */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } };

/** What `ws` itself puts on the wire for a server's text message. */
const wsFrame = (text: string) =>
  Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));

describe('textFrame', () => {
  it('is byte for byte the frame ws sends, for each length encoding', () => {
    // 7-bit, 16-bit and 64-bit payload lengths, their edges, and multi-byte UTF-8 (length in bytes, not characters).
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const text = 'x'.repeat(length);
      expect(textFrame(text).equals(wsFrame(text)), `length ${length}`).toBe(true);
    }
    const accents = `{"name":"Zoë ${'é'.repeat(70)}"}`;
    expect(textFrame(accents).equals(wsFrame(accents))).toBe(true);
  });
});
