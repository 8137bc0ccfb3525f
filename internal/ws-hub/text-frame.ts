import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * One complete WebSocket text frame as a server sends it (RFC 6455 §5.2: FIN, opcode 1, unmasked, one fragment):
 * header and UTF-8 payload in one Buffer, built once per update however many clients it goes to. `ws`'s `send` builds
 * a header, two option objects and a corked two-buffer write per client; on 10 000 clients that was the send path.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, header, 'utf8');
  return frame;
}

/** The payload of a `textFrame`. */
function payloadOf(frame: Buffer): Buffer {
  const marker = frame[1]! & 0x7f;
  return frame.subarray(marker === 126 ? 4 : marker === 127 ? 10 : 2);
}

/**
 * Writes a `textFrame` to a server-side socket: one write on its TCP stream. Valid only while `ws` itself queues
 * nothing (no permessage-deflate, no Blob sends — the hub uses neither), so frames keep their order with `ws`'s own
 * writes (pings, close). The stream is `ws`'s `_socket`; if a future `ws` lacks it, the payload goes through `send`.
 * `bufferedAmount` counts these bytes either way (it reads the same stream's buffer).
 */
export function writeTextFrame(socket: WebSocket, frame: Buffer): void {
  const stream = (socket as unknown as { _socket?: Duplex | null })._socket;
  if (stream && typeof stream.write === 'function') stream.write(frame);
  else socket.send(payloadOf(frame), { binary: false });
}
