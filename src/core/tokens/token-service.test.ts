import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import type { TokenRecord, TokensRepo } from '../../store/repositories/tokens-repo.js';
import { TOKEN_CACHE_TTL_MS, TokenService } from './token-service.js';

/** An in-memory tokens table that counts lookups by hash (the query the cache saves). */
class MemoryTokens {
  rows: TokenRecord[] = [];
  lookups = 0;
  async insert(row: TokenRecord): Promise<void> {
    this.rows.push({ ...row });
  }
  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    this.lookups++;
    const row = this.rows.find((r) => r.hash === hash);
    return row ? { ...row } : undefined;
  }
  async findByIdOrName(idOrName: string): Promise<TokenRecord | undefined> {
    const row = this.rows.find((r) => r.id === idOrName || r.name === idOrName);
    return row ? { ...row } : undefined;
  }
  async list(): Promise<TokenRecord[]> {
    return this.rows.map((r) => ({ ...r }));
  }
  async countAdmins(): Promise<number> {
    return this.rows.filter((r) => r.scope === 'admin' && !r.revokedAt).length;
  }
  async revoke(id: string, at: string): Promise<void> {
    for (const r of this.rows) if (r.id === id && !r.revokedAt) r.revokedAt = at;
  }
  async touch(): Promise<void> {}
}

function setup(options?: { ttlMs?: number; max?: number }) {
  const repo = new MemoryTokens();
  const clock = new ManualClock();
  const service = new TokenService(repo as unknown as TokensRepo, clock, options);
  return { repo, clock, service };
}

describe('TokenService cache', () => {
  it('answers repeated requests with one store lookup within the TTL, and asks again after it', async () => {
    const { repo, clock, service } = setup();
    const { token } = await service.create('t1', 'tenant', 'acme');
    for (let i = 0; i < 50; i++) expect((await service.authenticate(token)).tenant).toBe('acme');
    expect(repo.lookups).toBe(1);
    clock.advance(TOKEN_CACHE_TTL_MS + 1);
    await service.authenticate(token);
    expect(repo.lookups).toBe(2);
  });

  it('a revoke through this process takes effect on the next request', async () => {
    const { service } = setup();
    await service.create('admin', 'admin', null);
    const { token } = await service.create('t1', 'tenant', 'acme');
    await service.authenticate(token);
    await service.revoke('t1');
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('a revoke written by another process is seen once the entry ages out (the documented bound)', async () => {
    const { repo, clock, service } = setup();
    const { token, view } = await service.create('t1', 'tenant', 'acme');
    await service.authenticate(token);
    await repo.revoke(view.id, new Date(clock.now()).toISOString());
    clock.advance(TOKEN_CACHE_TTL_MS + 1);
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('checks expiry on every use, cached or not', async () => {
    const { clock, service } = setup({ ttlMs: 60_000 });
    const { token } = await service.create('t1', 'tenant', 'acme', 2);
    await service.authenticate(token);
    clock.advance(2500);
    await expect(service.authenticate(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('never caches unknown tokens, and stays within its size bound', async () => {
    const { repo, service } = setup({ max: 2 });
    for (let i = 0; i < 3; i++) await expect(service.authenticate('berth_guess')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(repo.lookups).toBe(3);
    const tokens = [];
    for (const name of ['a', 'b', 'c']) tokens.push((await service.create(name, 'tenant', 'acme')).token);
    for (const t of tokens) await service.authenticate(t);
    const before = repo.lookups;
    // 'a' was evicted (least recently used) when 'c' came in; 'c' is still cached.
    await service.authenticate(tokens[2]!);
    expect(repo.lookups).toBe(before);
    await service.authenticate(tokens[0]!);
    expect(repo.lookups).toBe(before + 1);
  });

  it('ttlMs 0 turns the cache off', async () => {
    const { repo, service } = setup({ ttlMs: 0 });
    const { token } = await service.create('t1', 'tenant', 'acme');
    await service.authenticate(token);
    await service.authenticate(token);
    expect(repo.lookups).toBe(2);
  });
});
