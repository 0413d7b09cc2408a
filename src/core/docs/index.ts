import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export interface DocumentedApp {
  id: string;
  title: string;
  version: string;
  description?: string;
}

/** Collects the OpenAPI document of the routes registered in this (app) scope, after it. */
export async function documentScope(scope: FastifyInstance, app: DocumentedApp): Promise<void> {
  await scope.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: app.title, version: app.version, description: app.description },
    },
  });
}

/**
 * `/openapi/<app>.json` for each app and one Swagger UI at `/docs` whose selector lists them all.
 * `documents` returns an app scope's generated document (available once the server is ready).
 */
export async function registerDocs(
  fastify: FastifyInstance,
  apps: readonly DocumentedApp[],
  documentOf: (appId: string) => unknown,
): Promise<void> {
  for (const app of apps) {
    fastify.get(`/openapi/${app.id}.json`, { schema: { hide: true } as object }, async () => documentOf(app.id));
  }
  await fastify.register(async (docs) => {
    // swagger-ui needs a document of its own scope; the real ones are the per-app URLs in its selector.
    await docs.register(swagger, {
      mode: 'static',
      specification: {
        document: {
          openapi: '3.1.0',
          info: { title: 'burrow', version: '1', description: 'Select an app in the top bar.' },
          paths: {},
        },
      },
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: {
        urls: apps.map((app) => ({ name: `${app.id} — ${app.title}`, url: `/openapi/${app.id}.json` })),
      },
    });
  });
}
