import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../common/clock.js';
import { BerthError } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import type { TokenRecord, TokensRepo } from '../../store/repositories/tokens-repo.js';

export type TokenScope = TokenRecord['scope'];

/** Who is calling: resolved from a bearer token on every /v1 request. */
export interface Principal {
  tokenId: string;
  name: string;
  scope: TokenScope;
  /** Set for tenant-scoped tokens: the only tenant they may see. */
  tenant: string | null;
}

export interface TokenView {
  id: string;
  name: string;
  scope: TokenScope;
  tenant: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenCacheOptions {
  /** How long a looked-up token is trusted without asking the store again (ms); 0 turns the cache off. */
  ttlMs?: number;
  /** Most tokens kept (least recently used leave first). */
  max?: number;
}

/** A revoke on another berth process sharing the store takes effect here within this bound. */
export const TOKEN_CACHE_TTL_MS = 5000;

/**
 * API tokens: stored only as hashes; the plain token is shown once, at creation.
 *
 * Valid tokens are cached by hash for a few seconds (bounded count), so a read does not pay a
 * store query for its token. A revoke through this process drops the entry at once; a revoke
 * through another process sharing the store is seen when the entry ages out (TOKEN_CACHE_TTL_MS).
 * Unknown tokens are never cached: guesses cannot fill the cache. Expiry is checked on every use.
 */
export class TokenService {
  private readonly touched = new Map<string, number>();
  private readonly cache: LRUCache<string, TokenRecord> | undefined;

  constructor(private readonly repo: TokensRepo, private readonly clock: Clock, cache: TokenCacheOptions = {}) {
    const ttl = cache.ttlMs ?? TOKEN_CACHE_TTL_MS;
    // The clock is injected so tests can age entries; lru-cache reads it through perf.now.
    if (ttl > 0) this.cache = new LRUCache({ max: cache.max ?? 1000, ttl, ttlResolution: 0, ttlAutopurge: false, perf: { now: () => clock.now() } });
  }

  async create(name: string, scope: TokenScope, tenant: string | null, expiresInSeconds?: number): Promise<{ token: string; view: TokenView }> {
    if (expiresInSeconds !== undefined && !(Number.isFinite(expiresInSeconds) && expiresInSeconds > 0)) throw BerthError.invalid('expiresInSeconds', 'must be a positive number of seconds');
    if (!NAME.test(name)) throw BerthError.invalid('name', 'must be 1-63 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
    if (scope === 'tenant' && !tenant) throw BerthError.invalid('tenant', 'a tenant-scoped token needs a tenant');
    if (await this.repo.findByIdOrName(name)) throw new BerthError('CONFLICT', `a token named ${name} already exists`);
    const token = `berth_${randomBytes(24).toString('base64url')}`;
    const row: TokenRecord = {
      id: newId('tok_', this.clock.now()),
      name,
      hash: hashToken(token),
      scope,
      tenant: scope === 'tenant' ? tenant : null,
      createdAt: new Date(this.clock.now()).toISOString(),
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: expiresInSeconds === undefined ? null : new Date(this.clock.now() + expiresInSeconds * 1000).toISOString(),
    };
    await this.repo.insert(row);
    return { token, view: toView(row) };
  }

  /** Resolves a bearer token, or throws UNAUTHORIZED. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new BerthError('UNAUTHORIZED', 'missing bearer token: send Authorization: Bearer <token>');
    const hash = hashToken(token);
    let row = this.cache?.get(hash);
    if (!row) {
      row = await this.repo.findByHash(hash);
      if (row && !row.revokedAt) this.cache?.set(hash, row);
    }
    if (!row || row.revokedAt) throw new BerthError('UNAUTHORIZED', 'invalid or revoked token');
    if (row.expiresAt && Date.parse(row.expiresAt) <= this.clock.now()) throw new BerthError('UNAUTHORIZED', `token expired at ${row.expiresAt}`);
    // last_used_at is advisory: write it at most once a minute per token.
    const now = this.clock.now();
    if ((this.touched.get(row.id) ?? 0) < now - 60_000) {
      this.touched.set(row.id, now);
      void this.repo.touch(row.id, new Date(now).toISOString()).catch(() => undefined);
    }
    return { tokenId: row.id, name: row.name, scope: row.scope, tenant: row.tenant };
  }

  async list(): Promise<TokenView[]> {
    return (await this.repo.list()).map(toView);
  }

  async revoke(idOrName: string): Promise<TokenView> {
    const row = await this.repo.findByIdOrName(idOrName);
    if (!row) throw new BerthError('TOKEN_NOT_FOUND', `no token ${idOrName}`);
    if (row.scope === 'admin' && !row.revokedAt && (await this.repo.countAdmins()) <= 1) {
      throw new BerthError('CONFLICT', 'refusing to revoke the last admin token; create another admin token first');
    }
    const at = new Date(this.clock.now()).toISOString();
    await this.repo.revoke(row.id, at);
    this.cache?.delete(row.hash);
    return toView({ ...row, revokedAt: row.revokedAt ?? at });
  }

  hasAdmin(): Promise<number> {
    return this.repo.countAdmins();
  }
}

/** Everything but the hash. */
function toView(row: TokenRecord): TokenView {
  return {
    id: row.id, name: row.name, scope: row.scope, tenant: row.tenant,
    createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt, expiresAt: row.expiresAt,
  };
}
