/**
 * A bare CA client for the server tests: raw frames built with the codec over a TCP socket, so each
 * test states exactly which messages go out and which must come back.
 */
import net from 'node:net';
import { once } from 'node:events';
import { CaFrameSplitter, createChannelRequest, versionMessage, type CaMessage } from '../../../src/connectors/epics/ca/codec.ts';
import { CA_PROTO_ACCESS_RIGHTS, CA_PROTO_CREATE_CHAN, CA_PROTO_VERSION, commandName } from '../../../src/connectors/epics/ca/constants.ts';

export class RawCircuit {
  readonly socket: net.Socket;
  readonly #received: CaMessage[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const splitter = new CaFrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      // copies: the splitter hands out views of a buffer it may reuse
      this.#received.push(...splitter.push(chunk).map((m) => ({ ...m, payload: Buffer.from(m.payload) })));
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawCircuit> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    return new RawCircuit(socket);
  }

  /** connects, says VERSION like libca, and consumes the server's VERSION */
  static async open(port: number): Promise<RawCircuit> {
    const circuit = await RawCircuit.connect(port);
    circuit.send(versionMessage());
    await circuit.next(CA_PROTO_VERSION);
    return circuit;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** the next message received, which must have `command` */
  async next(command: number, timeoutMs = 3000): Promise<CaMessage> {
    const message = await this.#take(() => 0, timeoutMs, commandName(command));
    if (message.command !== command) throw new Error(`expected ${commandName(command)}, got ${commandName(message.command)} ${JSON.stringify({ ...message, payload: message.payload.toString('hex') })}`);
    return message;
  }

  /** the first received message (skipping others, which stay queued) that satisfies `match` */
  async find(match: (message: CaMessage) => boolean, what: string, timeoutMs = 3000): Promise<CaMessage> {
    return this.#take(() => this.#received.findIndex(match), timeoutMs, what);
  }

  /** messages received and not yet taken */
  get pending(): readonly CaMessage[] {
    return this.#received;
  }

  /** creates a channel and returns its sid (after ACCESS_RIGHTS and the CREATE_CHAN reply) */
  async createChannel(name: string, cid: number): Promise<{ sid: number; rights: number; nativeType: number; nativeCount: number }> {
    this.send(createChannelRequest({ name, cid }));
    const rights = await this.next(CA_PROTO_ACCESS_RIGHTS);
    const created = await this.next(CA_PROTO_CREATE_CHAN);
    return { sid: created.p2, rights: rights.p2, nativeType: created.dataType, nativeCount: created.dataCount };
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the circuit');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, deadline - Date.now()).unref();
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  async #take(indexOf: () => number, timeoutMs: number, what: string): Promise<CaMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#received.length ? indexOf() : -1;
      if (index !== -1) return this.#received.splice(index, 1)[0]!;
      if (this.#closed) throw new Error(`circuit closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, deadline - Date.now()).unref();
      });
    }
  }
}
