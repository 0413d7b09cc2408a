import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import WebSocket from 'ws';
import { createHttpCore, type HttpCore } from '../../../src/core/http/index.ts';

/** resolves once `check` holds, polling each event-loop turn (a closed socket is seen a few turns later) */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 1000; turn++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.fail(`never: ${what}`);
}

const WINDOW_MS = 300;

describe('http core: requests in flight and a sole caller', () => {
  let core: HttpCore;
  let fastify: FastifyInstance;
  let url: string;
  const held: (() => void)[] = [];

  before(async () => {
    core = createHttpCore({ soleCallerWindowMs: WINDOW_MS });
    fastify = Fastify();
    core.install(fastify);
    await fastify.register(websocket);
    fastify.get('/fast', async () => ({ ok: true }));
    fastify.get('/sole', async () => ({ sole: core.soleCaller }));
    fastify.get('/held', async () => {
      await new Promise<void>((resolve) => held.push(resolve));
      return { ok: true };
    });
    fastify.get('/socket', { websocket: true }, (socket) => socket.send('hello'));
    url = await fastify.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => fastify.close());

  it('counts each request from routing until its response is sent', async () => {
    assert.equal(core.inFlight, 0);
    assert.equal((await fastify.inject({ method: 'GET', url: '/fast' })).statusCode, 200);
    assert.equal(core.inFlight, 0);
    const responses = [fetch(`${url}/held`), fetch(`${url}/held`)];
    await eventually(() => held.length === 2, 'both requests reached the handler');
    assert.equal(core.inFlight, 2);
    held.shift()!();
    await (await responses[0]!).json();
    assert.equal(core.inFlight, 1);
    held.shift()!();
    await (await responses[1]!).json();
    await eventually(() => core.inFlight === 0, 'no request in flight');
  });

  it('a request whose client goes away before the answer stops counting', async () => {
    const request = http.get(`${url}/held`);
    request.on('error', () => {});
    await eventually(() => held.length === 1, 'the request reached the handler');
    assert.equal(core.inFlight, 1);
    request.destroy();
    await eventually(() => core.inFlight === 0, 'the abandoned request stopped counting');
    held.shift()!(); // its handler ends later, and the count stays right
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(core.inFlight, 0);
  });

  it('an open WebSocket is not a request in flight', async () => {
    const client = new WebSocket(`${url.replace('http', 'ws')}/socket`);
    const [greeting] = (await once(client, 'message')) as [Buffer];
    assert.equal(greeting.toString(), 'hello');
    assert.equal(core.inFlight, 0);
    client.close();
    await once(client, 'close');
  });

  it('a caller is alone while one request is in flight and at most two connections sent requests in the last window', async () => {
    const ask = async (agent: http.Agent) =>
      new Promise<boolean>((resolve, reject) => {
        http.get(`${url}/sole`, { agent }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve((JSON.parse(body) as { sole: boolean }).sole));
        }).on('error', reject);
      });
    const windowsPass = () => new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS + 50));
    const agents = [0, 1, 2].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const [one, two, three] = agents as [http.Agent, http.Agent, http.Agent];
    try {
      await windowsPass();
      assert.deepEqual([await ask(one), await ask(one), await ask(two), await ask(one)], [true, true, true, true], 'one client taking turns on two connections');
      assert.equal(await ask(three), false, 'a third connection');
      assert.equal(await ask(one), false, 'the window remembers the third');
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 80));
      assert.equal(await ask(one), false, 'and so does the next one');
      await windowsPass();
      assert.equal(await ask(one), true, 'two windows later it is forgotten');
      const responses = [fetch(`${url}/held`)];
      await eventually(() => held.length === 1, 'a request held on another connection');
      assert.equal(await ask(one), false, 'two requests in flight');
      held.shift()!();
      await (await responses[0]!).json();
    } finally {
      for (const agent of agents) agent.destroy();
    }
  });
});
