import { Type } from '@sinclair/typebox';
import type { App } from '../app.js';
import { principalOf } from '../auth.js';
import { errorResponses, Security } from '../schemas.js';

/** GET /v1/images: which images a create may name (from config), for forms and scripts. */
export function imageRoutes(defaultImage: string, allowedImages: readonly string[]) {
  return (app: App): void => {
    app.get('/v1/images', {
      schema: {
        operationId: 'listImages',
        summary: 'The image used when a create names none, and the allowed list (empty: any local image)', tags: ['instances'], security: Security,
        response: {
          200: Type.Object({
            default: Type.String(),
            allowed: Type.Array(Type.String(), { description: 'runtime.allowedImages; empty means any image present on the engine' }),
          }),
          ...errorResponses(),
        },
      },
    }, async (request) => {
      principalOf(request);
      return { default: defaultImage, allowed: [...allowedImages] };
    });
  };
}
