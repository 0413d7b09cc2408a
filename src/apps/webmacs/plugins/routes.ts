import path from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { errors } from '../errors.ts';
import type { Lab } from '../ingestion/index.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { availablePlugins, toPackageJson } from './catalog.ts';
import { packagesRepo } from './packages-repo.ts';
import { packagesService } from './packages.ts';
import { pluginsRepo } from './repo.ts';
import { MappingCreateBody, MappingParams, MappingUpdateBody, PluginCreateBody, PluginInstance, PluginUpdateBody } from './schemas.ts';
import { pluginsService } from './service.ts';

/** `/api/v1/plugins`: classes, instances and channel mappings (spec §3.13); any role reads, admins write. */
export function registerPluginRoutes(scope: FastifyInstance, wm: WebmacsContext, lab: Lab): void {
  const { auth } = wm;
  const plugins = pluginsService({ repo: pluginsRepo(wm.db), database: wm.database, lab, deleteChunkRows: wm.settings.WEBMACS_DELETE_CHUNK_ROWS });
  const packages = packagesRepo(wm.db);
  const admin = auth.requireRole('admin');
  const tags = ['plugins'];
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;
  const mappingOf = (request: { params: unknown }) => request.params as { id: string; mid: string };

  scope.get('/api/v1/plugins/available', { preValidation: auth.requireUser, schema: { tags } }, async () => availablePlugins(await packages.list()));

  scope.get('/api/v1/plugins/packages', { preValidation: auth.requireUser, schema: { tags } }, async () => (await packages.list()).map(toPackageJson));

  const uploads = packagesService({ repo: packages, database: wm.database, pluginDir: wm.settings.WEBMACS_PLUGIN_DIR ?? path.join(wm.app.filesDir, 'plugins') });
  scope.register(async (multipartScope) => {
    await multipartScope.register(multipart, { limits: { fileSize: wm.settings.WEBMACS_PLUGIN_MAX_BYTES, files: 1 } });
    multipartScope.post('/api/v1/plugins/packages/upload', { preValidation: admin, schema: { tags, consumes: ['multipart/form-data'] } }, async (request, reply) => {
      const part = request.isMultipart() ? await request.file() : undefined;
      if (!part) throw errors.wheelRequired();
      return reply.code(201).send(await uploads.upload(auth.principal(request).user.id, part.filename, part.file));
    });
  });

  scope.delete('/api/v1/plugins/packages/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) =>
    status(await uploads.delete(idOf(request))),
  );

  scope.get('/api/v1/plugins', { preValidation: auth.requireUser, schema: { tags, querystring: PageQuery, response: { 200: pageOf(PluginInstance) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await plugins.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.post('/api/v1/plugins', { preValidation: admin, schema: { tags, body: PluginCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const publicId = await plugins.create(auth.principal(request).user.id, request.body as PluginCreateBody);
    return reply.code(201).send(created('Plugin instance created.', publicId));
  });

  scope.get('/api/v1/plugins/:id', { preValidation: auth.requireUser, schema: { tags, params: IdParams, response: { 200: PluginInstance } } }, async (request) =>
    plugins.get(idOf(request)),
  );

  scope.put('/api/v1/plugins/:id', { preValidation: admin, schema: { tags, params: IdParams, body: PluginUpdateBody, response: { 200: StatusResponse } } }, async (request) => {
    await plugins.update(idOf(request), request.body as PluginUpdateBody);
    return status('Plugin instance successfully updated.');
  });

  scope.delete('/api/v1/plugins/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await plugins.delete(idOf(request));
    return status('Plugin instance successfully deleted.');
  });

  scope.get('/api/v1/plugins/:id/channels', { preValidation: auth.requireUser, schema: { tags, params: IdParams } }, async (request) => plugins.mappings(idOf(request)));

  scope.post(
    '/api/v1/plugins/:id/channels',
    { preValidation: admin, schema: { tags, params: IdParams, body: MappingCreateBody, response: { 201: CreatedResponse } } },
    async (request, reply) => reply.code(201).send(created('Channel mapping created.', await plugins.createMapping(idOf(request), request.body as MappingCreateBody))),
  );

  scope.put(
    '/api/v1/plugins/:id/channels/:mid',
    { preValidation: admin, schema: { tags, params: MappingParams, body: MappingUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      const { id, mid } = mappingOf(request);
      await plugins.linkMapping(id, mid, (request.body as MappingUpdateBody).event_public_id);
      return status('Channel mapping successfully updated.');
    },
  );

  scope.delete('/api/v1/plugins/:id/channels/:mid', { preValidation: admin, schema: { tags, params: MappingParams, response: { 200: StatusResponse } } }, async (request) => {
    const { id, mid } = mappingOf(request);
    await plugins.deleteMapping(id, mid);
    return status('Channel mapping successfully deleted.');
  });

}
