import type { FastifyInstance } from 'fastify';
import type { WebmacsContext } from '../context.ts';
import { PageQuery, pageOf, pageWindow, toPage } from '../pagination.ts';
import { created, CreatedResponse, IdParams, status, StatusResponse } from '../schemas.ts';
import { User, UserCreateBody, UserUpdateBody } from './schemas.ts';
import { toUserJson, usersService } from './service.ts';

/** `/api/v1/users`: admin only, every verb (seed; D1). */
export function registerUserRoutes(scope: FastifyInstance, wm: WebmacsContext): void {
  const { auth } = wm;
  const users = usersService(wm.users, wm.database, wm.hashPassword);
  const admin = auth.requireRole('admin');
  const tags = ['users'];

  scope.get('/api/v1/users', { preValidation: admin, schema: { tags, querystring: PageQuery, response: { 200: pageOf(User) } } }, async (request) => {
    const query = request.query as PageQuery;
    const { limit, offset } = pageWindow(query);
    const { total, data } = await users.list(limit, offset);
    return toPage(query, total, data);
  });

  scope.get('/api/v1/users/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: User } } }, async (request) =>
    toUserJson(await users.get((request.params as { id: string }).id)),
  );

  scope.post('/api/v1/users', { preValidation: admin, schema: { tags, body: UserCreateBody, response: { 201: CreatedResponse } } }, async (request, reply) => {
    const user = await users.create(request.body as UserCreateBody);
    return reply.code(201).send(created('User successfully created.', user.public_id));
  });

  scope.put(
    '/api/v1/users/:id',
    { preValidation: admin, schema: { tags, params: IdParams, body: UserUpdateBody, response: { 200: StatusResponse } } },
    async (request) => {
      await users.update((request.params as { id: string }).id, request.body as UserUpdateBody);
      return status('User successfully updated.');
    },
  );

  scope.delete('/api/v1/users/:id', { preValidation: admin, schema: { tags, params: IdParams, response: { 200: StatusResponse } } }, async (request) => {
    await users.delete((request.params as { id: string }).id, auth.principal(request).user);
    return status('User successfully deleted.');
  });
}
