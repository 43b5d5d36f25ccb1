import { ApiError, rawFetch, toApiError, type Instance } from '../api/client';

/** What a list answer may carry for paging: a `next` cursor (or path), or `total` for offsets. */
interface ListBody { items: Instance[]; total?: number; next?: string | null }

interface CachedPage { etag: string | null; items: Instance[]; next: string | null }

export interface FleetRead {
  /** False when every page answered 304: nothing to render. */
  changed: boolean;
  items: Instance[];
  /** Body bytes transferred (304s count 0). */
  bytes: number;
  pages: number;
}

const BASE = '/v1/instances';
/** A bound on pages per read (200 × 1,000 rows), so a server that never ends a cursor chain cannot spin the tab. */
const MAX_PAGES = 200;

/**
 * Reads the whole fleet page by page and keeps each page's ETag, so an unchanged fleet costs one
 * 304 per page. Follows the API's `next` when the answer has one (a cursor, or a path under
 * /v1/instances), else `offset` while `total` says rows remain; with neither, one page is the fleet.
 * If the server refuses the page size (a smaller maximum), it falls back to the server's default.
 */
export class FleetPager {
  private readonly pages = new Map<string, CachedPage>();
  private limit: number | null;

  constructor(limit = 1000) {
    this.limit = limit;
  }

  async read(): Promise<FleetRead> {
    const visited = new Set<string>();
    const seen = new Set<string>();
    const items: Instance[] = [];
    let changed = false;
    let bytes = 0;
    let url: string | null = this.firstUrl();
    let offset = 0;
    while (url !== null && !visited.has(url) && visited.size < MAX_PAGES) {
      visited.add(url);
      const cached = this.pages.get(url);
      const res = await rawFetch(url, { headers: cached?.etag ? { 'if-none-match': cached.etag } : {} });
      let page: CachedPage;
      if (res.status === 304 && cached) {
        page = cached;
      } else {
        const text = await res.text();
        const body: unknown = text ? JSON.parse(text) : null;
        if (!res.ok) {
          const error = toApiError(res.status, body);
          if (this.refusesLimit(error) && offset === 0) {
            // Start again with the server's own page size.
            this.limit = null;
            this.pages.clear();
            return this.read();
          }
          throw error;
        }
        const b = body as ListBody;
        page = { etag: res.headers.get('etag'), items: b.items, next: this.nextUrl(b, offset) };
        this.pages.set(url, page);
        changed = true;
        bytes += text.length;
      }
      // Rows can move between pages while they are read: each id once.
      for (const i of page.items) {
        if (seen.has(i.id)) continue;
        seen.add(i.id);
        items.push(i);
      }
      offset += page.items.length;
      url = page.next;
    }
    for (const key of [...this.pages.keys()]) {
      if (visited.has(key)) continue;
      this.pages.delete(key);
      changed = true;
    }
    return { changed, items, bytes, pages: visited.size };
  }

  private firstUrl(): string {
    return this.limit === null ? BASE : `${BASE}?limit=${this.limit}`;
  }

  private withParams(params: Record<string, string>): string {
    const q = new URLSearchParams(this.limit === null ? {} : { limit: String(this.limit) });
    for (const [k, v] of Object.entries(params)) q.set(k, v);
    return `${BASE}?${q.toString()}`;
  }

  private nextUrl(body: ListBody, offset: number): string | null {
    if ('next' in body) {
      const next = body.next;
      if (typeof next !== 'string' || next === '') return null;
      // A path is followed only under this route (the token must never go to another origin).
      return next.startsWith(`${BASE}?`) ? next : this.withParams({ cursor: next });
    }
    const end = offset + body.items.length;
    if (typeof body.total === 'number' && body.items.length > 0 && end < body.total) return this.withParams({ offset: String(end) });
    return null;
  }

  private refusesLimit(error: ApiError): boolean {
    return this.limit !== null && error.status === 400 && (error.field === 'limit' || /\blimit\b/.test(error.message));
  }
}
