import type { FastifyInstance } from 'fastify';

/**
 * Many HTTP clients send `content-type: application/json` with no body on a DELETE or an action
 * POST. Such a body reads as `{}` (no fields given) instead of failing with 400: routes whose
 * body is optional accept it, routes that need a field still name it. A non-empty body is
 * parsed by Fastify's own JSON parser (with its prototype-poisoning guards).
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, {});
      return;
    }
    parse(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });
}
