import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { WebmacsDatabase } from '../../../src/apps/webmacs/db/schema.ts';
import { PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

const bundle = gzipSync(Buffer.from('firmware image '.repeat(1000)));
const bundleHash = createHash('sha256').update(bundle).digest('hex');

function multipart(fileName: string, content: Buffer, fields: Record<string, string> = {}) {
  const boundary = '----otatest';
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const head = Buffer.from(`${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n\r\n`);
  return { payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('webmacs OTA (spec §3.12)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  let files: http.Server;
  let filesUrl: string;

  const post = (url: string, payload?: object, token = admin) => wm.request({ method: 'POST', url, token, ...(payload ? { payload } : {}) });
  const record = async (id: string) => (await wm.request({ method: 'GET', url: `/api/v1/ota/${id}`, token: admin })).json();
  const create = async (version: string) => (await post('/api/v1/ota', { version })).json().public_id as string;

  before(async () => {
    files = http.createServer((request, response) => {
      if (request.url === '/bundle.tar.gz') return response.writeHead(200).end(bundle);
      if (request.url === '/redirect') return response.writeHead(302, { location: '/bundle.tar.gz' }).end();
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    wm = await startWebmacs({ env: { WEBMACS_WEBHOOK_ALLOW_LOOPBACK: 'true' } });
    admin = await wm.adminToken();
  });
  after(async () => {
    await wm.dispose();
    files.close();
  });

  it('§12.74 OTA endpoints are admin only; unauthenticated → 401', async () => {
    const operator = (await wm.userWithRole('operator')).token;
    for (const url of ['/api/v1/ota', '/api/v1/ota/check']) {
      assert.equal((await wm.request({ method: 'GET', url, token: operator })).statusCode, 403);
      assert.equal((await wm.request({ method: 'GET', url })).statusCode, 401);
    }
    assert.equal((await post('/api/v1/ota/upload', undefined, operator)).statusCode, 403);
  });

  it('§12.75 create 2.1.0 → 201; again → 409; bad versions → 422; no file_path in responses', async () => {
    const res = await post('/api/v1/ota', { version: '2.1.0', changelog: 'Fixes' });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().message, 'Firmware update successfully registered.');
    assert.match(res.json().public_id, PUBLIC_ID('fw'));
    assert.deepEqual((await post('/api/v1/ota', { version: '2.1.0' })).json(), { detail: 'FirmwareUpdate already exists.' });
    for (const version of ['2.1', 'v2.1.0', '01.0.0']) assert.equal((await post('/api/v1/ota', { version })).statusCode, 422, version);
    const body = await record(res.json().public_id);
    assert.equal(body.status, 'pending');
    assert.equal(body.has_firmware_file, false);
    assert.ok(!('file_path' in body));
  });

  it('§12.76 apply without body completes; again → 409; rollback; rollback of pending → 409', async () => {
    const id = await create('2.2.0');
    assert.deepEqual((await post(`/api/v1/ota/${id}/apply`)).json(), { status: 'success', message: 'Firmware update applied successfully.' });
    assert.equal((await record(id)).status, 'completed');
    assert.deepEqual((await post(`/api/v1/ota/${id}/apply`)).json(), { detail: "Cannot transition from 'completed' to 'completed'" });
    assert.deepEqual((await post(`/api/v1/ota/${id}/rollback`)).json(), { status: 'success', message: 'Firmware update rolled back successfully.' });
    assert.equal((await record(id)).status, 'rolled_back');
    const pending = await create('2.2.1');
    assert.equal((await post(`/api/v1/ota/${pending}/rollback`)).statusCode, 409);
  });

  it('§12.77 apply with a download_url and the right hash completes with the file recorded (via a redirect)', async () => {
    const id = await create('2.3.0');
    const res = await post(`/api/v1/ota/${id}/apply`, { download_url: `${filesUrl}/redirect`, file_hash_sha256: bundleHash });
    assert.equal(res.statusCode, 200);
    const body = await record(id);
    assert.deepEqual([body.status, body.has_firmware_file, body.file_hash_sha256, body.file_size_bytes], ['completed', true, bundleHash, bundle.length]);
    assert.ok(fs.existsSync(path.join(wm.dataDir, 'webmacs', 'updates', 'firmware-2.3.0.tar.gz')));
  });

  it('§12.78 §12.79 a wrong hash fails with no file left; a 404 URL fails; a failed update can be retried', async () => {
    const id = await create('2.4.0');
    const wrong = await post(`/api/v1/ota/${id}/apply`, { download_url: `${filesUrl}/bundle.tar.gz`, file_hash_sha256: '0'.repeat(64) });
    assert.deepEqual([wrong.statusCode, wrong.json()], [400, { detail: 'SHA-256 hash verification failed' }]);
    const failed = await record(id);
    assert.deepEqual([failed.status, failed.error_message], ['failed', 'SHA-256 hash verification failed']);
    assert.ok(!fs.existsSync(path.join(wm.dataDir, 'webmacs', 'updates', 'firmware-2.4.0.tar.gz')));
    const missing = await post(`/api/v1/ota/${id}/apply`, { download_url: `${filesUrl}/nope.tar.gz` });
    assert.deepEqual([missing.statusCode, missing.json()], [400, { detail: 'download_failed: status 404' }]);
    const retried = await post(`/api/v1/ota/${id}/apply`, { download_url: `${filesUrl}/bundle.tar.gz`, file_hash_sha256: bundleHash });
    assert.equal(retried.statusCode, 200);
    assert.equal((await record(id)).status, 'completed');
  });

  it('§12.81 /check without a release URL makes no request; newer pending records count', async () => {
    const check = (await wm.request({ method: 'GET', url: '/api/v1/ota/check', token: admin })).json();
    assert.deepEqual(check, {
      current_version: '2.0.0',
      latest_version: '2.4.0',
      update_available: true,
      github_latest_version: null,
      github_download_url: null,
      github_release_url: null,
      github_error: null,
      remote_check: 'disabled',
    });
  });

  it('§12.82 upload .tar.gz → 201 and attaches; .zip → 400; non-gzip → 400; same name → 409', async () => {
    const id = await create('2.5.0');
    const upload = (name: string, content: Buffer, fields?: Record<string, string>) => wm.request({ method: 'POST', url: '/api/v1/ota/upload', token: admin, ...multipart(name, content, fields) });
    const res = await upload('webmacs-update-2.5.0.tar.gz', bundle, { update_public_id: id });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), {
      status: 'success',
      message: `Bundle 'webmacs-update-2.5.0.tar.gz' uploaded (${bundle.length.toLocaleString('en-US')} bytes).`,
      filename: 'webmacs-update-2.5.0.tar.gz',
      file_size_bytes: bundle.length,
      file_hash_sha256: bundleHash,
    });
    assert.equal((await record(id)).has_firmware_file, true);
    assert.deepEqual((await upload('webmacs-update-2.5.0.tar.gz', bundle)).json(), { detail: "Bundle 'webmacs-update-2.5.0.tar.gz' already exists." });
    assert.deepEqual((await upload('update.zip', bundle)).json(), { detail: 'File must be a .tar.gz update bundle.' });
    assert.deepEqual((await upload('plain.tar.gz', Buffer.from('not gzip'))).json(), { detail: 'File is not a gzip archive.' });
    assert.ok(!fs.existsSync(path.join(wm.dataDir, 'webmacs', 'updates', 'plain.tar.gz')));
    assert.equal((await post(`/api/v1/ota/${id}/apply`)).statusCode, 200, 'the attached file re-hashes correctly');
  });
});

describe('webmacs OTA restart and remote check (spec §12.80, §12.81)', () => {
  it('§12.80 an update left downloading by a dead server is failed at the next start', async () => {
    const first = await startWebmacs();
    const admin = await first.adminToken();
    const id = (await first.request({ method: 'POST', url: '/api/v1/ota', token: admin, payload: { version: '9.0.0' } })).json().public_id;
    const db = first.server.context('webmacs').database.db as Kysely<WebmacsDatabase>;
    await db.updateTable('firmware_updates').set({ status: 'downloading' }).where('public_id', '=', id).execute();
    await first.dispose({ keep: true });
    const second = await startWebmacs({ reuse: { dataDir: first.dataDir, schemas: first.schemas } });
    try {
      const body = (await second.request({ method: 'GET', url: `/api/v1/ota/${id}`, token: await second.adminToken() })).json();
      assert.deepEqual([body.status, body.error_message], ['failed', 'Interrupted by server restart.']);
    } finally {
      await second.dispose();
    }
  });

  it('§12.81 with a release URL, /check reports the remote release', async () => {
    const server = http.createServer((_request, response) =>
      response.writeHead(200).end(JSON.stringify({ tag_name: 'v3.0.0', html_url: 'https://example.org/r/3', assets: [{ name: 'webmacs-update-3.0.0.tar.gz', browser_download_url: 'https://example.org/u.tar.gz' }] })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const wm = await startWebmacs({ env: { WEBMACS_OTA_RELEASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/latest` } });
    try {
      const check = (await wm.request({ method: 'GET', url: '/api/v1/ota/check', token: await wm.adminToken() })).json();
      assert.deepEqual(
        [check.latest_version, check.update_available, check.github_latest_version, check.github_download_url, check.github_release_url, check.remote_check],
        ['3.0.0', true, '3.0.0', 'https://example.org/u.tar.gz', 'https://example.org/r/3', 'ok'],
      );
    } finally {
      await wm.dispose();
      server.close();
    }
  });
});
