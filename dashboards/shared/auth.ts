/** The bearer token of this browser tab, sign-in and authenticated REST calls. */

const TOKEN_KEY = 'mistohub.token';
const ROLES_KEY = 'mistohub.roles';

/** `POST /api/v1/auth/login` answers this on success. */
export interface LoginResponse {
  token: string;
  roles: string[];
}

export interface Session {
  token: string;
  /** null when the user pasted a token (roles unknown to the page) */
  roles: string[] | null;
}

export function getSession(): Session | null {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return null;
    const rolesText = sessionStorage.getItem(ROLES_KEY);
    let roles: string[] | null = null;
    if (rolesText) {
      const parsed: unknown = JSON.parse(rolesText);
      if (Array.isArray(parsed)) roles = parsed.filter((r): r is string => typeof r === 'string');
    }
    return { token, roles };
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return getSession()?.token ?? null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(TOKEN_KEY, session.token);
  if (session.roles) sessionStorage.setItem(ROLES_KEY, JSON.stringify(session.roles));
  else sessionStorage.removeItem(ROLES_KEY);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ROLES_KEY);
}

export type LoginResult =
  | { ok: true; session: Session }
  | { ok: false; reason: 'credentials' | 'rate-limited' | 'network' | 'server'; message?: string };

async function errorMessage(res: Response): Promise<string> {
  try {
    const body: unknown = await res.json();
    if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}`;
}

export async function login(username: string, password: string): Promise<LoginResult> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch {
    return { ok: false, reason: 'network' };
  }
  if (res.status === 401 || res.status === 403) return { ok: false, reason: 'credentials' };
  if (res.status === 429) return { ok: false, reason: 'rate-limited' };
  if (!res.ok) return { ok: false, reason: 'server', message: await errorMessage(res) };
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { ok: false, reason: 'server', message: 'not JSON' };
  }
  if (!body || typeof body !== 'object' || !('token' in body) || typeof body.token !== 'string' || !body.token) {
    return { ok: false, reason: 'server', message: 'no token in the answer' };
  }
  const roles = 'roles' in body && Array.isArray(body.roles) ? body.roles.filter((r): r is string => typeof r === 'string') : [];
  const session: Session = { token: body.token, roles };
  saveSession(session);
  return { ok: true, session };
}

export type ApiResult<T> =
  | { status: 'ok'; data: T }
  | { status: 'unauthorized' | 'forbidden' | 'not-found' | 'error'; httpStatus?: number };

/** GET a JSON resource with the tab's bearer token. */
export async function apiGet<T>(path: string, token: string): Promise<ApiResult<T>> {
  try {
    const res = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    if (res.status === 401) return { status: 'unauthorized', httpStatus: 401 };
    if (res.status === 403) return { status: 'forbidden', httpStatus: 403 };
    if (res.status === 404) return { status: 'not-found', httpStatus: 404 };
    if (!res.ok) return { status: 'error', httpStatus: res.status };
    return { status: 'ok', data: (await res.json()) as T };
  } catch {
    return { status: 'error' };
  }
}

/** The start page's sign-in address, returning to `path` afterwards. */
export function signInHref(path: string = location.pathname): string {
  return `/?next=${encodeURIComponent(path)}#sign-in`;
}
