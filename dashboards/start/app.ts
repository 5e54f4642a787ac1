/** Start page: links to the dashboards, sign-in (password or pasted token), system health. */
import type { Health } from '../../services/contracts/system.ts';
import { clearSession, getSession, login, saveSession } from '../shared/auth.ts';
import { onLangChange, t, type MsgKey } from '../shared/i18n.ts';
import { initPage, must } from '../shared/page.ts';

initPage();

const sessionState = must('session-state');
const message = must('login-message');
const loginForm = must<HTMLFormElement>('login-form');
const tokenForm = must<HTMLFormElement>('token-form');
const username = must<HTMLInputElement>('username');
const password = must<HTMLInputElement>('password');
const tokenInput = must<HTMLTextAreaElement>('token');
const loginSubmit = must<HTMLButtonElement>('login-submit');
const signOut = must<HTMLButtonElement>('start-sign-out');

let messageKey: { key: MsgKey; params?: Record<string, string>; kind: 'error' | 'ok' } | null = null;

function showMessage(key: MsgKey | null, kind: 'error' | 'ok' = 'error', params?: Record<string, string>): void {
  messageKey = key ? { key, kind, ...(params ? { params } : {}) } : null;
  renderMessage();
}

function renderMessage(): void {
  message.textContent = messageKey ? t(messageKey.key, messageKey.params) : '';
  message.className = `message ${messageKey?.kind ?? ''}`;
}

function renderSession(): void {
  const s = getSession();
  if (!s) sessionState.textContent = t('start.notSignedIn');
  else if (s.roles && s.roles.length > 0) sessionState.textContent = t('start.signedInAs', { roles: s.roles.join(', ') });
  else sessionState.textContent = t('start.signedInToken');
  signOut.hidden = !s;
}

/** Where to go after signing in: only a path of this site. */
function nextPath(): string | null {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  return next;
}

function afterSignIn(): void {
  const next = nextPath();
  if (next) {
    location.assign(next);
    return;
  }
  showMessage(null);
  // the header's sign-in link becomes a sign-out button
  location.reload();
}

loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const user = username.value.trim();
  if (!user || !password.value) {
    showMessage('start.emptyFields');
    return;
  }
  loginSubmit.disabled = true;
  message.className = 'message';
  message.textContent = t('start.signingIn');
  void login(user, password.value).then((res) => {
    loginSubmit.disabled = false;
    if (res.ok) {
      password.value = '';
      afterSignIn();
      return;
    }
    if (res.reason === 'credentials') showMessage('start.badCredentials');
    else if (res.reason === 'rate-limited') showMessage('start.rateLimited');
    else if (res.reason === 'network') showMessage('start.networkError');
    else showMessage('start.serverError', 'error', { message: res.message ?? '' });
    password.focus();
  });
});

tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
  if (!token) {
    showMessage('start.emptyToken');
    return;
  }
  saveSession({ token, roles: null });
  tokenInput.value = '';
  afterSignIn();
});

signOut.addEventListener('click', () => {
  clearSession();
  location.assign('/?signedOut=1');
});

// ── health ───────────────────────────────────────────────────────────────────
let health: Health | null = null;
let healthFailed = false;
const statusKey = (s: string): MsgKey | null => (s === 'ok' ? 'health.ok' : s === 'degraded' ? 'health.degraded' : s === 'down' ? 'health.down' : null);

function renderHealth(): void {
  const overall = must('health-overall');
  const list = must('health-list');
  if (!health) {
    overall.textContent = healthFailed ? t('start.healthUnavailable') : '…';
    list.replaceChildren();
    return;
  }
  const label = (s: string): string => {
    const k = statusKey(s);
    return k ? t(k) : s;
  };
  overall.replaceChildren();
  const strong = document.createElement('strong');
  strong.className = `status-${health.status}`;
  strong.textContent = t('start.healthOverall', { status: label(health.status) });
  overall.append(strong);
  list.replaceChildren(
    ...Object.entries(health.components).map(([name, c]) => {
      const li = document.createElement('li');
      const n = document.createElement('span');
      n.textContent = c.detail ? `${name} — ${c.detail}` : name;
      const st = document.createElement('span');
      st.className = `status-${c.status}`;
      st.textContent = label(c.status);
      li.append(n, st);
      return li;
    }),
  );
}

async function loadHealth(): Promise<void> {
  try {
    const res = await fetch('/api/v1/health', { headers: { accept: 'application/json' } });
    const body = (await res.json()) as Health;
    if (body && typeof body === 'object' && typeof body.status === 'string' && body.components && typeof body.components === 'object') {
      health = body;
      healthFailed = false;
    } else healthFailed = true;
  } catch {
    healthFailed = true;
  }
  renderHealth();
}

if (new URLSearchParams(location.search).has('signedOut')) showMessage('start.signedOut', 'ok');
renderSession();
renderHealth();
void loadHealth();
setInterval(() => void loadHealth(), 30_000);
onLangChange(() => {
  renderSession();
  renderMessage();
  renderHealth();
});

if (location.hash === '#sign-in' && !getSession()) username.focus();
