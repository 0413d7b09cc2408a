import path from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { errors } from '../errors.ts';
import type { Lab } from '../ingestion/index.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { otaRepo } from './repo.ts';
import { ApplyBody, Firmware, FirmwareCreateBody } from './schemas.ts';
import { otaService } from './service.ts';

/** `/api/v1/ota` (spec §3.12): admin only, including `/check` and `/upload` (seed, D1). */
export async function registerOtaRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): Promise<void> {
  const { auth, settings } = wm;
  const repo = otaRepo(wm.db);
  // spec §4.8: a download cut short by a crash cannot resume; the record says so
  await repo.failInterrupted('Interrupted by server restart.');
  const ota = otaService({
    repo,
    database: wm.database,
    guard: lab.webhooks.guard,
    updateDir: settings.WEBMACS_UPDATE_DIR ?? path.join(wm.app.filesDir, 'updates'),
    currentVersion: settings.WEBMACS_VERSION,
    downloadTimeoutMs: settings.WEBMACS_OTA_DOWNLOAD_TIMEOUT_S * 1000,
    maxBytes: settings.WEBMACS_OTA_MAX_BYTES,
    releaseUrl: settings.WEBMACS_OTA_RELEASE_URL,
    releaseTimeoutMs: settings.WEBMACS_OTA_RELEASE_TIMEOUT_S * 1000,
  });
  const admin = auth.requireRole('admin');
  const tags = ['ota'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;
  // apply takes an optional body: an absent one means "no download"
  const emptyBodyAllowed = async (request: FastifyRequest) => {
    request.body ??= {};
  };

  scope.get('/api/v1/ota', { preValidation: admin, schema: { tags, querystring: PageQuery, response: { 200: pageOf(Firmware) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await ota.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.get('/api/v1/ota/check', { preValidation: admin, schema: { tags } }, async () => ota.check());

  scope.post('/api/v1/ota', { preValidation: admin, schema: { tags, body: FirmwareCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const body = request.body as FirmwareCreateBody;
    const publicId = await ota.create(auth.principal(request).user.id, body.version, body.changelog);
    return reply.code(201).send(created('Firmware update successfully registered.', publicId));
  });

  scope.get('/api/v1/ota/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: Firmware } } }, async (request) => ota.get(idOf(request)));

  scope.delete('/api/v1/ota/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await ota.delete(idOf(request));
    return status('FirmwareUpdate successfully deleted.');
  });

  scope.post(
    '/api/v1/ota/:id/apply',
    { preValidation: [admin, emptyBodyAllowed], schema: { tags, params: IdParams, body: ApplyBody, response: { 200: StatusResponse } } },
    async (request) => {
      await ota.apply(idOf(request), request.body as ApplyBody);
      return status('Firmware update applied successfully.');
    },
  );

  scope.post('/api/v1/ota/:id/rollback', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await ota.rollback(idOf(request));
    return status('Firmware update rolled back successfully.');
  });

  scope.register(async (multipartScope) => {
    await multipartScope.register(multipart, { limits: { fileSize: settings.WEBMACS_OTA_MAX_BYTES, files: 1 } });
    multipartScope.post('/api/v1/ota/upload', { preValidation: admin, schema: { tags, consumes: ['multipart/form-data'] } }, async (request, reply) => {
      const part = request.isMultipart() ? await request.file() : undefined;
      if (!part) throw errors.bundleNotTarGz();
      const field = part.fields.update_public_id as { value?: unknown } | undefined;
      const updateId = typeof field?.value === 'string' && field.value !== '' ? field.value : undefined;
      return reply.code(201).send(await ota.upload(part.filename, part.file, updateId));
    });
  });
}
