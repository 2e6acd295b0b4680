// Serves the owner's PGlite to other orderflow processes over the PostgreSQL wire protocol on 127.0.0.1.
// Messages are framed here and passed to PGlite one at a time, but each connection is a session of the shared
// SessionGate: it keeps the backend from its first message to the end of its unit of work (Sync or a simple
// Query, outside a transaction block), so concurrent connections and the owner's own queries never interleave.
// Clients authenticate with the secret from the owner file (cleartext password over loopback).
// A session that holds the backend and then sends nothing (idle inside BEGIN, or mid-sequence) would block
// every other session and the owner's own queries: after idleInTransactionMs it is disconnected, its
// transaction rolled back, as PostgreSQL's idle_in_transaction_session_timeout does.
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../base/log.js';
import type { SessionGate } from './session-gate.js';

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const TYPE_SYNC = 0x53; // 'S'
const TYPE_QUERY = 0x51; // 'Q'
const TYPE_TERMINATE = 0x58; // 'X'
const TYPE_PASSWORD = 0x70; // 'p'

export interface WireServer {
  readonly port: number;
  /** Stops listening, disconnects every client (rolling back what they left open) and waits for that. */
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Password clients must send. */
  secret: string;
  logger: Logger;
  /** How long a session may hold the backend without sending anything (idle in a transaction). @defaultValue 30000 */
  idleInTransactionMs?: number;
}

/** Default of ServeOptions.idleInTransactionMs. */
const IDLE_IN_TRANSACTION_MS = 30_000;

export async function serveWire(
  pglite: PGlite,
  gate: SessionGate,
  options: ServeOptions,
): Promise<WireServer> {
  const connections = new Set<Promise<void>>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const done = handleConnection(socket, pglite, gate, options).finally(() => {
      sockets.delete(socket);
      connections.delete(done);
    });
    connections.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.error({ err: error }, 'embedded store server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await Promise.all([...connections]);
        await closed;
      })();
      return closing;
    },
  };
}

/** Runs one client connection until it closes; resolves after its session has been cleaned up. */
function handleConnection(
  socket: net.Socket,
  pglite: PGlite,
  gate: SessionGate,
  options: ServeOptions,
): Promise<void> {
  socket.setNoDelay(true);
  const connection = new WireConnection(socket, pglite, gate, options);
  return new Promise<void>((resolve) => {
    socket.on('data', (chunk) => connection.received(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connection.closed(resolve));
  });
}

/** One client's state: its gate session, the bytes not yet framed, the phase of the handshake. */
class WireConnection {
  private readonly session: number;
  private buffer: Buffer = Buffer.alloc(0);
  private phase: 'startup' | 'password' | 'ready' = 'startup';
  private startup: Buffer | undefined;
  private isClosed = false;
  /** The messages of every chunk so far, handled in order. */
  private work = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;

  constructor(
    private readonly socket: net.Socket,
    private readonly pglite: PGlite,
    private readonly gate: SessionGate,
    private readonly options: ServeOptions,
  ) {
    this.session = gate.newSession();
    this.idleMs = options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS;
  }

  /** A chunk arrived: its complete messages are handled after those before it. */
  received(chunk: Buffer): void {
    clearTimeout(this.idleTimer);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.work = this.work
      .then(() => this.drain())
      .then(
        () => this.watchIdle(),
        (error: unknown) => {
          this.options.logger.warn({ err: error }, 'embedded store client failed; disconnecting it');
          this.socket.destroy();
        },
      );
  }

  /** Once its messages are handled: a session still holding the backend gets idleMs to send the next one. */
  private watchIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.isClosed || !this.gate.holds(this.session)) return;
    this.idleTimer = setTimeout(() => {
      this.options.logger.warn(
        { idleMs: this.idleMs },
        'embedded store client idle inside a transaction: disconnecting it',
      );
      // The close handler rolls its transaction back and frees the backend.
      this.socket.end(fatal('25P03', 'terminating connection due to idle-in-transaction timeout'), () =>
        this.socket.destroy(),
      );
    }, this.idleMs);
  }

  private readonly write = (data: Uint8Array): void => {
    if (!this.isClosed && this.socket.writable) this.socket.write(Buffer.from(data));
  };

  private async run(message: Buffer, endsUnit: boolean): Promise<void> {
    const { gate, session, pglite } = this;
    await gate.enter(session);
    try {
      await pglite.runExclusive(() => pglite.execProtocolRawStream(message, { onRawData: this.write }));
    } finally {
      gate.leave(session, !endsUnit || pglite.isInTransaction());
    }
  }

  /** Takes the next complete message off the buffer, or undefined if it has not fully arrived. */
  private next(): Buffer | undefined {
    const untyped = this.phase === 'startup';
    const header = untyped ? 4 : 5;
    if (this.buffer.length < header) return undefined;
    const length = (untyped ? 0 : 1) + this.buffer.readInt32BE(untyped ? 0 : 1);
    if (this.buffer.length < length) return undefined;
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return message;
  }

  /** Handles every complete message; stops when the connection ends. */
  private async drain(): Promise<void> {
    for (let message = this.next(); message && !this.isClosed; message = this.next()) {
      if (this.phase === 'startup') {
        if (!this.startupMessage(message)) return;
      } else if (this.phase === 'password') {
        if (!(await this.passwordMessage(message))) return;
      } else if (message[0] === TYPE_TERMINATE) {
        this.socket.end();
        return;
      } else {
        await this.run(message, message[0] === TYPE_SYNC || message[0] === TYPE_QUERY);
      }
    }
  }

  /** SSL/GSS request (declined), StartupMessage (ask for the password) or anything else (end); false = ended. */
  private startupMessage(message: Buffer): boolean {
    const code = message.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
    } else if (code === PROTOCOL_3) {
      this.startup = Buffer.from(message);
      this.phase = 'password';
      this.socket.write(authenticationCleartextPassword());
    } else {
      // A CancelRequest (no backend to signal) or an unknown protocol: nothing to serve.
      if (code === CANCEL_REQUEST) this.socket.end();
      else this.socket.end(fatal('08P01', 'unsupported frontend protocol'));
      return false;
    }
    return true;
  }

  /** The password: the right one starts the session with the saved StartupMessage; false = refused. */
  private async passwordMessage(message: Buffer): Promise<boolean> {
    if (
      message[0] !== TYPE_PASSWORD ||
      !sameSecret(message.subarray(5, message.length - 1), this.options.secret)
    ) {
      this.socket.end(fatal('28P01', 'password authentication failed for the embedded orderflow store'));
      return false;
    }
    this.phase = 'ready';
    await this.run(this.startup!, true);
    return true;
  }

  /** The socket closed: free the backend (reset first if the session left it mid-sequence), then `done`. */
  closed(done: () => void): void {
    const { gate, session, pglite } = this;
    this.isClosed = true;
    clearTimeout(this.idleTimer);
    if (!gate.holds(session)) {
      // Possibly waiting to enter: drop the wait (its promise is abandoned with the connection).
      gate.release(session);
      done();
      return;
    }
    // It left an extended-protocol sequence or a transaction open: reset the backend before anyone else uses it.
    void this.work
      .then(async () => {
        if (!gate.holds(session)) return;
        await pglite.runExclusive(() => pglite.execProtocolRaw(SYNC));
        if (pglite.isInTransaction())
          await pglite.runExclusive(() => pglite.execProtocolRaw(simpleQuery('ROLLBACK')));
      })
      .catch((error: unknown) =>
        this.options.logger.error({ err: error }, 'could not reset an abandoned embedded store session'),
      )
      .finally(() => {
        gate.release(session);
        done();
      });
  }
}

function sameSecret(given: Buffer, secret: string): boolean {
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function authenticationCleartextPassword(): Buffer {
  const b = Buffer.alloc(9);
  b.write('R', 0);
  b.writeInt32BE(8, 1);
  b.writeInt32BE(3, 5);
  return b;
}

function simpleQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  const b = Buffer.alloc(5 + body.length);
  b.write('Q', 0);
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

function fatal(sqlstate: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlstate}\0M${message}\0\0`);
  const b = Buffer.alloc(5 + fields.length);
  b.write('E', 0);
  b.writeInt32BE(4 + fields.length, 1);
  fields.copy(b, 5);
  return b;
}
