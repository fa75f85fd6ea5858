// The one way the app talks to the registry: JSON in and out, the OCI error JSON turned into an
// ApiError, and the CSRF token of the browser session on every unsafe request.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request of a signed-in page answers 401: the session ended elsewhere. */
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T = unknown>(method: Method, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const r = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store'
  });
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!r.ok) {
    const e = (json as { errors?: { code?: string; message?: string }[] } | null)?.errors?.[0];
    if (r.status === 401 && onUnauthorized && !url.startsWith('/auth/session')) onUnauthorized();
    throw new ApiError(r.status, e?.code ?? `HTTP_${r.status}`, e?.message ?? (r.statusText || `HTTP ${r.status}`));
  }
  return json as T;
}

export const get = <T>(url: string) => api<T>('GET', url);

/** A message for the page: the registry's own words when it gave some. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.status})`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A repository path for /api/v1 URLs (names are [a-z0-9._/-]: safe as they are). */
export function repoPath(name: string): string {
  return `/api/v1/repositories/${name}`;
}
