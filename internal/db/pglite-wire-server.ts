import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80_877_103;
const CANCEL_REQUEST = 80_877_102;
const PROTOCOL_3 = 196_608;
/** Client messages after which the client waits for the server: a unit of work ends there. */
const UNIT_END = new Set(['S', 'Q', 'H', 'X']);
/** Messages after which the client's sequence is complete (Flush 'H' is not: more of the same query follows). */
const SEQUENCE_END = new Set(['S', 'Q', 'X']);

interface Unit {
  client: Client;
  bytes: Uint8Array;
  endsSequence: boolean;
}

interface Client {
  id: number;
  socket: Socket;
  buffer: Buffer;
  pending: Buffer[];
  started: boolean;
}

/**
 * Serves one PGlite database to several wire-protocol connections (`pg` pools, node-pg-migrate) on 127.0.0.1.
 *
 * PGlite is a single Postgres session. Connections take turns, and a turn must not end in the middle of something
 * the session remembers: an extended-query sequence (Parse, Bind, … up to Sync — the unnamed statement and portal
 * would be overwritten by another client's Parse) or an open transaction. So messages are grouped into units that
 * end where the client waits for an answer, and while a client is inside a sequence or a transaction only its
 * units run. (@electric-sql/pglite-socket's server interleaves single messages, which breaks concurrent extended
 * queries outside transactions: "bind message supplies N parameters", "portal does not exist".)
 */
export class PgliteWireServer {
  private readonly server: Server;
  private readonly clients = new Set<Client>();
  private readonly queue: Unit[] = [];
  /** The client whose sequence or transaction is in progress; only its units may run. */
  private owner: Client | undefined;
  private running = false;
  private nextId = 1;

  constructor(private readonly db: PGlite) {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens on 127.0.0.1 (port 0: any free port); resolves with the port. */
  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const client of this.clients) client.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const client: Client = { id: this.nextId++, socket, buffer: Buffer.alloc(0), pending: [], started: false };
    this.clients.add(client);
    socket.on('data', (chunk) => this.receive(client, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.disconnect(client));
  }

  private receive(client: Client, chunk: Buffer): void {
    client.buffer = client.buffer.length === 0 ? chunk : Buffer.concat([client.buffer, chunk]);
    for (;;) {
      const buffer = client.buffer;
      if (!client.started) {
        // Untyped start-up packets: SSLRequest, CancelRequest, StartupMessage.
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        client.buffer = buffer.subarray(length);
        if (code === SSL_REQUEST) {
          client.socket.write('N');
        } else if (code === CANCEL_REQUEST) {
          client.socket.end();
          return;
        } else if (code === PROTOCOL_3) {
          client.started = true;
          this.enqueue({ client, bytes: buffer.subarray(0, length), endsSequence: true });
        } else {
          client.socket.destroy();
          return;
        }
        continue;
      }
      if (buffer.length < 5) return;
      const length = 1 + buffer.readInt32BE(1);
      if (buffer.length < length) return;
      const type = String.fromCharCode(buffer[0]!);
      client.pending.push(buffer.subarray(0, length));
      client.buffer = buffer.subarray(length);
      if (type === 'X') {
        client.socket.end();
        return;
      }
      if (UNIT_END.has(type)) {
        this.enqueue({ client, bytes: Buffer.concat(client.pending), endsSequence: SEQUENCE_END.has(type) });
        client.pending = [];
      }
    }
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index = this.owner ? this.queue.findIndex((u) => u.client === this.owner) : 0;
        if (index < 0 || this.queue.length === 0) return;
        const [unit] = this.queue.splice(index, 1);
        await this.run(unit!);
      }
    } finally {
      this.running = false;
    }
  }

  private async run(unit: Unit): Promise<void> {
    const { client } = unit;
    if (client.socket.destroyed) return;
    try {
      await this.db.execProtocolRawStream(unit.bytes, {
        onRawData: (data) => {
          if (!client.socket.destroyed) client.socket.write(data);
        },
      });
    } catch {
      client.socket.destroy();
    }
    this.owner = !unit.endsSequence || this.db.isInTransaction() ? client : undefined;
    if (this.owner === client && !this.clients.has(client)) await this.abandon(client);
  }

  private async disconnect(client: Client): Promise<void> {
    this.clients.delete(client);
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.client === client) this.queue.splice(i, 1);
    if (this.owner === client && !this.running) {
      await this.abandon(client);
      void this.drain();
    }
    // If one of its units is running right now, `run` notices the departure when it ends.
  }

  /** A client that left in the middle of a sequence or transaction must not leave it open for everyone else. */
  private async abandon(client: Client): Promise<void> {
    if (this.owner !== client) return;
    this.owner = undefined;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => {});
  }
}
