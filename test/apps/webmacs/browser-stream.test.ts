import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startWebmacs, type WebmacsHarness } from './helpers.ts';

/** Debian's `chromium` package; the CI installs it (.ci/run). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const missingBrowser = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium)`;

interface BrowserBatch {
  type: string;
  datapoints?: Array<{ value: number; event_public_id: string; timestamp: string; experiment_public_id: string | null; public_id: string }>;
}

describe('webmacs stream in a real browser (spec §12.111)', { skip: missingBrowser }, () => {
  let wm: WebmacsHarness;
  let origin: string;
  let operator: string;
  let viewer: string;
  let eventId: string;
  let context: BrowserContext;
  let profileDir: string;

  before(async () => {
    wm = await startWebmacs({ env: { WEBMACS_REQUIRE_PLUGIN_LINK: 'false' } });
    origin = await wm.server.listen();
    operator = (await wm.userWithRole('operator')).token;
    viewer = (await wm.userWithRole('viewer')).token;
    const created = await wm.request({
      method: 'POST',
      url: '/api/v1/events',
      token: operator,
      payload: { name: 'Browser Temp', type: 'sensor', unit: '°C', min_value: 0, max_value: 100 },
    });
    eventId = created.json().public_id as string;
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-chromium-'));
    // A fresh profile per run: nothing cached or remembered from an earlier browser.
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  });
  after(async () => {
    await context?.close();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    await wm?.dispose();
  });

  it('a page on the server origin opens /ws/datapoints/stream and receives an ingested batch as it happens', async () => {
    const page = await context.newPage();
    const landing = await page.goto(`${origin}/health`);
    assert.equal(landing?.status(), 200);
    assert.equal(new URL(page.url()).origin, origin);

    // The page keeps every frame the browser's own WebSocket receives and resolves once connected.
    const connected = await page.evaluate(
      ({ token, wsOrigin }) =>
        new Promise<unknown>((resolve, reject) => {
          const scope = globalThis as unknown as { frames: unknown[]; socket: WebSocket };
          scope.frames = [];
          const socket = new WebSocket(`${wsOrigin}/ws/datapoints/stream?token=${encodeURIComponent(token)}`);
          scope.socket = socket;
          socket.onmessage = (message) => {
            const frame = JSON.parse(String(message.data)) as unknown;
            scope.frames.push(frame);
            if ((frame as { type?: string }).type === 'connected') resolve(frame);
          };
          socket.onclose = (close) => reject(new Error(`closed ${close.code} ${close.reason}`));
        }),
      { token: viewer, wsOrigin: origin.replace(/^http/, 'ws') },
    );
    assert.deepEqual(connected, { type: 'connected', message: 'Subscribed to live datapoint stream.' });

    const posted = await wm.request({
      method: 'POST',
      url: '/api/v1/datapoints/batch',
      token: operator,
      payload: { datapoints: [{ value: 21.5, event_public_id: eventId }, { value: 22.25, event_public_id: eventId }] },
    });
    assert.equal(posted.statusCode, 201);

    const batch = (await page.waitForFunction(
      () => (globalThis as unknown as { frames: BrowserBatch[] }).frames.find((frame) => frame.type === 'datapoints_batch'),
      undefined,
      { timeout: 15_000 },
    ).then((handle) => handle.jsonValue())) as BrowserBatch;
    assert.deepEqual(
      batch.datapoints?.map((point) => [point.value, point.event_public_id, point.experiment_public_id]),
      [
        [21.5, eventId, null],
        [22.25, eventId, null],
      ],
    );
    for (const point of batch.datapoints ?? []) {
      assert.match(point.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
      assert.match(point.public_id, /^dp_[0-9a-z]+$/);
    }
  });

  it('a browser socket with a bad token is closed 1008 with the reason', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/health`);
    const closed = await page.evaluate(
      (wsOrigin) =>
        new Promise<{ code: number; reason: string }>((resolve) => {
          const socket = new WebSocket(`${wsOrigin}/ws/datapoints/stream?token=garbage`);
          socket.onclose = (close) => resolve({ code: close.code, reason: close.reason });
        }),
      origin.replace(/^http/, 'ws'),
    );
    assert.deepEqual(closed, { code: 1008, reason: 'Invalid or expired token' });
  });
});
