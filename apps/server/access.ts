/**
 * Access control. An optional API key: every /v1/ route and /metrics then need
 * `Authorization: Bearer <key>` (compared in constant time) and answer OpenAI's 401 body
 * otherwise; /healthz stays open for liveness probes. CORS is off unless origins are given:
 * then requests from those origins (or any, with '*') get the CORS headers, and preflight
 * OPTIONS requests are answered (before the key check: browsers send them without one).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

export interface AccessOptions {
  /** Required bearer token; null = open. */
  apiKey?: string | null;
  /** Allowed browser origins ('*' = any); empty = CORS off. */
  corsOrigins?: readonly string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Routes that stay open when a key is set. */
const OPEN = new Set(['/healthz']);

function keyError(given: string | null): ApiError {
  const err =
    given === null
      ? new ApiError(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          null,
          'missing_api_key',
        )
      : new ApiError(
          401,
          `Incorrect API key provided: ${mask(given)}. Use the key this server was started with (rnnlm serve --api-key).`,
          null,
          'invalid_api_key',
        );
  return new ApiError(err.statusCode, err.message, null, err.code, 'invalid_request_error', { 'www-authenticate': 'Bearer realm="rnnlm"' });
}

/** Shows only the ends of a wrong key, as OpenAI does. */
function mask(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}

export function installAccess(app: FastifyInstance, o: AccessOptions): void {
  const origins = o.corsOrigins ?? [];
  if (origins.length > 0) installCors(app, origins);
  const key = o.apiKey ?? null;
  if (key === null) return;
  if (key.length === 0) throw new RangeError('the API key must not be empty');
  const want = digest(key);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.method === 'OPTIONS' || OPEN.has(req.url.split('?')[0]!)) return;
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
    const given = m ? m[1]! : null;
    if (given === null || !timingSafeEqual(digest(given), want)) throw keyError(given);
  });
}

function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes('*');
  const allowed = (origin: string | undefined): string | null => {
    if (!origin) return null;
    if (any) return '*';
    return origins.includes(origin) ? origin : null;
  };
  const headers = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const allow = allowed(req.headers.origin);
    if (!any) reply.header('vary', 'Origin');
    if (!allow) return false;
    reply.header('access-control-allow-origin', allow);
    return true;
  };
  app.addHook('onRequest', async (req, reply) => {
    headers(req, reply);
  });
  // Preflight for every path: 204 with what may be sent, or 403 for an origin not allowed.
  app.options('*', async (req, reply) => {
    if (!headers(req, reply)) {
      throw new ApiError(403, `Origin ${JSON.stringify(req.headers.origin ?? null)} is not allowed (rnnlm serve --cors).`, null, 'cors_origin_not_allowed');
    }
    return reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type')
      .header('access-control-max-age', '600')
      .send();
  });
}
