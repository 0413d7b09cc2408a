import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A loopback HTTP receiver for webhook tests: records every request and answers with `status()`. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  status: () => number = () => 200;
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({ headers: request.headers, body: Buffer.concat(chunks), at: Date.now() });
      response.writeHead(this.status()).end('ok');
      for (const wake of this.waiters.splice(0)) wake();
    });
  });
  private waiters: Array<() => void> = [];

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** resolves once at least `count` requests have arrived */
  async received(count: number): Promise<ReceivedRequest[]> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.requests;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
