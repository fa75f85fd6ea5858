import { api, ApiError, setCsrfToken, whenUnauthorized } from './api';

export type User = { username: string; admin: boolean; has_password: boolean; passkeys: number };

/**
 * Who is signed in, as the registry says (GET /auth/session). authEnabled is false when the
 * registry runs without access control: then there is no sign-in at all and everything is public.
 */
export const session = $state<{ loaded: boolean; authEnabled: boolean; user: User | null }>({
  loaded: false,
  authEnabled: true,
  user: null
});

whenUnauthorized(() => {
  session.user = null;
  setCsrfToken(null);
});

export async function loadSession(): Promise<void> {
  try {
    const s = await api<User & { csrf_token: string }>('GET', '/auth/session');
    session.user = { username: s.username, admin: !!s.admin, has_password: !!s.has_password, passkeys: s.passkeys ?? 0 };
    setCsrfToken(s.csrf_token);
    session.authEnabled = true;
  } catch (e) {
    session.user = null;
    setCsrfToken(null);
    // 401: signed out; 404/405: no access control on this registry (no /auth/session)
    session.authEnabled = !(e instanceof ApiError) || e.status === 401 || e.status >= 500;
  } finally {
    session.loaded = true;
  }
}

/** After a sign-in or sign-up answered {username, csrf_token}: the rest comes from /auth/session. */
export async function signedIn(csrf: string): Promise<void> {
  setCsrfToken(csrf);
  await loadSession();
}

/** Ends the session; if the server could not be told, the session stays (and the caller says so). */
export async function signOut(): Promise<void> {
  await api('DELETE', '/auth/session');
  session.user = null;
  setCsrfToken(null);
}
