import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PUBLIC_ID, startWebmacs, type WebmacsHarness } from './helpers.ts';

/** Builds a wheel with Python's zipfile, the way a packaging tool lays one out. */
function buildWheel(dir: string, fileName: string, files: Record<string, string>): string {
  const target = path.join(dir, fileName);
  execFileSync('/usr/bin/python3', ['-c', 'import json,sys,zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n  [z.writestr(k, v) for k, v in json.loads(sys.argv[2]).items()]', target, JSON.stringify(files)]);
  return target;
}

const METADATA = 'Metadata-Version: 2.1\nName: webmacs-plugin-my-sensor\nVersion: 1.0.0\nSummary: My sensor\nAuthor: Lab Team\nHome-page: https://example.org/my-sensor\n\nLong description\n';
const ENTRY_POINTS = '[console_scripts]\nx = y:z\n\n[webmacs.plugins]\nmy-sensor = my_sensor:Plugin\n';

function multipart(fileName: string, content: Buffer): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----burrowtest';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('webmacs plugin packages (spec §3.13)', () => {
  let wm: WebmacsHarness;
  let admin: string;
  let dir: string;
  let wheel: string;

  const upload = (fileName: string, content: Buffer, token = admin) => wm.request({ method: 'POST', url: '/api/v1/plugins/packages/upload', token, ...multipart(fileName, content) });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wheels-'));
    wheel = buildWheel(dir, 'webmacs_plugin_my_sensor-1.0.0-py3-none-any.whl', {
      'my_sensor/__init__.py': 'raise SystemExit("never executed")\n',
      'webmacs_plugin_my_sensor-1.0.0.dist-info/METADATA': METADATA,
      'webmacs_plugin_my_sensor-1.0.0.dist-info/entry_points.txt': ENTRY_POINTS,
    });
    wm = await startWebmacs({ env: { WEBMACS_PLUGIN_MAX_BYTES: '20000' } });
    admin = await wm.adminToken();
  });
  after(async () => {
    await wm.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('§12.90 a real wheel uploads with the exact message and shows in packages and available', async () => {
    const content = fs.readFileSync(wheel);
    const res = await upload(path.basename(wheel), content);
    assert.equal(res.statusCode, 201);
    const size = content.length.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    assert.equal(res.json().message, `Plugin package 'webmacs-plugin-my-sensor' v1.0.0 installed (${size} bytes). Restart the controller to activate.`);
    assert.match(res.json().public_id, PUBLIC_ID('pkg'));
    const packages = (await wm.request({ method: 'GET', url: '/api/v1/plugins/packages', token: admin })).json();
    const uploaded = packages.at(-1);
    assert.deepEqual({ ...uploaded, installed_on: undefined }, {
      public_id: res.json().public_id,
      package_name: 'webmacs-plugin-my-sensor',
      version: '1.0.0',
      source: 'uploaded',
      plugin_ids: ['my-sensor'],
      file_size_bytes: content.length,
      installed_on: undefined,
      removable: true,
    });
    const available = (await wm.request({ method: 'GET', url: '/api/v1/plugins/available', token: admin })).json();
    assert.deepEqual(available.at(-1), { id: 'my-sensor', name: 'my-sensor', version: '1.0.0', vendor: 'Lab Team', description: 'My sensor', url: 'https://example.org/my-sensor', source: 'uploaded', channels: [] });
  });

  it('§12.91 refuses a second upload, a non-.whl name, missing METADATA or entry point, non-zips and oversize files', async () => {
    const content = fs.readFileSync(wheel);
    assert.deepEqual((await upload(path.basename(wheel), content)).json(), { detail: `Package '${path.basename(wheel)}' already exists.` });
    assert.deepEqual((await upload('plugin.zip', content)).json(), { detail: 'File must be a .whl (Python wheel) package.' });
    assert.deepEqual((await upload('bad name!.whl', content)).json(), { detail: 'Invalid file name.' });
    const noMetadata = buildWheel(dir, 'no_meta-1.0-py3-none-any.whl', { 'x/__init__.py': '' });
    assert.deepEqual((await upload('no_meta-1.0-py3-none-any.whl', fs.readFileSync(noMetadata))).json(), { detail: 'No .dist-info/METADATA found in wheel.' });
    const noEntry = buildWheel(dir, 'no_entry-1.0-py3-none-any.whl', { 'no_entry-1.0.dist-info/METADATA': 'Name: no-entry\nVersion: 1.0\n' });
    const refused = await upload('no_entry-1.0-py3-none-any.whl', fs.readFileSync(noEntry));
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json().detail, "Wheel 'no-entry' does not declare a [webmacs.plugins] entry point. It is not a valid WebMACS plugin package.");
    const notZip = await upload('junk-1.0-py3-none-any.whl', Buffer.from('definitely not a zip file'));
    assert.equal(notZip.statusCode, 422);
    assert.match(notZip.json().detail, /^Not a valid ZIP\/wheel archive: /);
    const big = await upload('big-1.0-py3-none-any.whl', Buffer.alloc(30_000, 1));
    assert.equal(big.statusCode, 413);
    assert.deepEqual(big.json(), { detail: 'Wheel exceeds maximum size (50 MB).' });
    const pluginDir = path.join(wm.dataDir, 'webmacs', 'plugins');
    assert.deepEqual(fs.readdirSync(pluginDir).sort(), [path.basename(wheel)], 'temporary files are removed');
  });

  it('§12.92 deleting a bundled package → 400; deleting an uploaded one removes row and file', async () => {
    const packages = (await wm.request({ method: 'GET', url: '/api/v1/plugins/packages', token: admin })).json();
    const bundled = await wm.request({ method: 'DELETE', url: `/api/v1/plugins/packages/${packages[0].public_id}`, token: admin });
    assert.deepEqual(bundled.json(), { detail: 'Bundled plugins cannot be removed.' });
    const removed = await wm.request({ method: 'DELETE', url: `/api/v1/plugins/packages/${packages.at(-1).public_id}`, token: admin });
    assert.deepEqual(removed.json(), { status: 'success', message: "Plugin package 'webmacs-plugin-my-sensor' uninstalled. Restart the controller to apply." });
    assert.deepEqual(fs.readdirSync(path.join(wm.dataDir, 'webmacs', 'plugins')), []);
    assert.equal((await wm.request({ method: 'GET', url: '/api/v1/plugins/packages', token: admin })).json().length, 2);
  });
});
