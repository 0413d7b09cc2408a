import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.ts';
import type { TagService } from './service.ts';
import { MAX_BULK_TAGS, bulkImportBody, createGroupBody, forceQuery, groupParams, newTag, skipDuplicatesQuery, tagParams, updateBody } from './schemas.ts';

const tags = ['Tags'];

export function registerTagRoutes(scope: FastifyInstance, service: TagService): void {
  scope.get('/v1/tags', { schema: { tags } }, async () => service.list());

  scope.post('/v1/tags', { schema: { tags, body: createGroupBody } }, async (request) => service.create(request.body as Static<typeof createGroupBody>));

  scope.post('/v1/tags/bulk', { schema: { tags, body: bulkImportBody } }, async (request) => {
    const { groups } = request.body as Static<typeof bulkImportBody>;
    const total = Object.values(groups).reduce((sum, names) => sum + names.length, 0);
    if (total > MAX_BULK_TAGS) throw errors.validation('groups', `must NOT have more than ${MAX_BULK_TAGS} tags in total`);
    return service.bulkImport(groups);
  });

  scope.get('/v1/tags/:id', { schema: { tags, params: groupParams } }, async (request) => service.get((request.params as Static<typeof groupParams>).id));

  scope.put('/v1/tags/:id', { schema: { tags, params: groupParams, body: updateBody } }, async (request) =>
    service.update((request.params as Static<typeof groupParams>).id, request.body as Static<typeof updateBody>),
  );

  scope.delete('/v1/tags/:id', { schema: { tags, params: groupParams, querystring: forceQuery } }, async (request) =>
    service.remove((request.params as Static<typeof groupParams>).id, (request.query as Static<typeof forceQuery>).force),
  );

  scope.post('/v1/tags/:id/tags', { schema: { tags, params: groupParams, querystring: skipDuplicatesQuery, body: newTag } }, async (request) =>
    service.addTag(
      (request.params as Static<typeof groupParams>).id,
      request.body as Static<typeof newTag>,
      (request.query as Static<typeof skipDuplicatesQuery>).skip_duplicates,
    ),
  );

  scope.put('/v1/tags/:id/tags/:tid', { schema: { tags, params: tagParams, body: updateBody } }, async (request) => {
    const { id: gid, tid } = request.params as Static<typeof tagParams>;
    return service.updateTag(gid, tid, request.body as Static<typeof updateBody>);
  });

  scope.delete('/v1/tags/:id/tags/:tid', { schema: { tags, params: tagParams } }, async (request) => {
    const { id: gid, tid } = request.params as Static<typeof tagParams>;
    return service.removeTag(gid, tid);
  });
}
