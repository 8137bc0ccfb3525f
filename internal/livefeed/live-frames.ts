import type { LiveMessage } from './live-feed.ts';

/**
 * `JSON.stringify(message)` for the messages of one flush, encoding each distinct data object once. A single ping goes
 * out on three channels (`rider:`, `map`, `map:{cell}`) with the same data; a bulk post's pings go out one by one on
 * `rider:{id}` and then again, all together, inside the `{locations: [...]}` of its `map` and `map:{cell}` messages.
 * So a message's data, and the members of an array directly inside it, are looked up by identity before they are
 * encoded: each ping's JSON is produced once per flush, not three times. The text is exactly `JSON.stringify`'s.
 */
export function frameWriter(): (message: LiveMessage) => string {
  const encoded = new Map<object, string>();
  /** A leaf: encoded once per flush, by identity. */
  const leaf = (value: unknown): string => {
    if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null'; // as in an array
    let text = encoded.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      encoded.set(value, text);
    }
    return text;
  };
  const data = (value: object): string => {
    let text = encoded.get(value); // a ping's second and third channel: found here, before any other look at it
    if (text !== undefined) return text;
    if (!isPlainObject(value)) return leaf(value);
    let hasArray = false;
    for (const key in value) if (Array.isArray(value[key])) hasArray = true;
    if (!hasArray) return leaf(value);
    const members: string[] = [];
    for (const key in value) {
      const member = value[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue; // as JSON does
      const memberText = Array.isArray(member) && !hasToJson(member) ? `[${member.map(leaf).join(',')}]` : leaf(member);
      members.push(`${JSON.stringify(key)}:${memberText}`);
    }
    text = `{${members.join(',')}}`;
    encoded.set(value, text);
    return text;
  };
  return (m) =>
    typeof m.data !== 'object' || m.data === null
      ? JSON.stringify(m)
      : `{"channel":${JSON.stringify(m.channel)},"type":${JSON.stringify(m.type)},"data":${data(m.data)},"at":${JSON.stringify(m.at)}}`;
}

/** An object literal's kind of object (no class, no `toJSON`): its JSON is its own enumerable members. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !hasToJson(value);
}

const hasToJson = (value: object): boolean => typeof (value as { toJSON?: unknown }).toJSON === 'function';
