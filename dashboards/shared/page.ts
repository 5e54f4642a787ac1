/** What every dashboard page shares: language, header, sign-in state, live status, redraw loop. */
import { clearSession, getSession, signInHref } from './auth.ts';
import { getLang, initLang, onLangChange, setLang, t, type MsgKey } from './i18n.ts';
import type { LiveStatus } from './live.ts';

function byId<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** An element the page cannot work without. */
export function must<T extends HTMLElement>(id: string): T {
  const el = byId<T>(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el;
}

function renderLangToggle(): void {
  const btn = byId<HTMLButtonElement>('lang-toggle');
  if (!btn) return;
  const target = getLang() === 'uk' ? 'en' : 'uk';
  btn.textContent = t('lang.toggle');
  btn.lang = target;
  btn.setAttribute('aria-label', t('lang.toggleLabel'));
  btn.title = t('lang.current');
}

function renderSession(): void {
  const box = byId('session');
  if (!box) return;
  const session = getSession();
  if (session) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.id = 'sign-out';
    btn.className = 'link-button';
    btn.textContent = t('auth.signOut');
    btn.addEventListener('click', () => {
      clearSession();
      location.assign('/?signedOut=1');
    });
    box.replaceChildren(btn);
  } else {
    const a = document.createElement('a');
    a.id = 'sign-in-link';
    a.href = signInHref();
    a.textContent = t('auth.signIn');
    box.replaceChildren(a);
  }
}

function markCurrentNav(): void {
  const page = document.body.dataset.page ?? '';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-nav]')) {
    if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Language, header and session controls. Returns the tab's token (null when signed out). */
export function initPage(): { token: string | null } {
  initLang();
  markCurrentNav();
  renderLangToggle();
  renderSession();
  byId<HTMLButtonElement>('lang-toggle')?.addEventListener('click', () => setLang(getLang() === 'uk' ? 'en' : 'uk'));
  onLangChange(() => {
    renderLangToggle();
    renderSession();
  });
  return { token: getSession()?.token ?? null };
}

const STATUS_KEYS: Record<LiveStatus, MsgKey> = {
  'signed-out': 'status.signedOut',
  connecting: 'status.connecting',
  live: 'status.live',
  offline: 'status.offline',
  unauthorized: 'status.unauthorized',
  forbidden: 'status.forbidden',
};

/** Shows the connection state in the header and a sign-in message when the token is missing or refused. */
export function bindLiveStatus(store: { status: LiveStatus; onStatus(fn: (s: LiveStatus) => void): void }, role: string): void {
  const statusEl = byId('conn-status');
  const banner = byId('auth-banner');
  const render = (): void => {
    const s = store.status;
    if (statusEl) {
      statusEl.dataset.state = s;
      const text = statusEl.querySelector('.text') ?? statusEl;
      text.textContent = t(STATUS_KEYS[s]);
    }
    if (!banner) return;
    let key: MsgKey | null = null;
    if (s === 'signed-out') key = 'auth.missing';
    else if (s === 'unauthorized') key = 'auth.refused';
    else if (s === 'forbidden') key = 'auth.forbidden';
    if (!key) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    const p = document.createElement('p');
    p.textContent = t(key, { role });
    const a = document.createElement('a');
    a.href = signInHref();
    a.className = 'button';
    a.textContent = t('auth.goSignIn');
    banner.replaceChildren(p, a);
    banner.hidden = false;
  };
  store.onStatus(render);
  onLangChange(render);
  render();
}

export function setDemo(isDemo: boolean): void {
  const badge = byId('demo-badge');
  if (badge && badge.hidden === isDemo) badge.hidden = !isDemo;
}

/**
 * Calls `draw` about twice a second, inside an animation frame; data arriving in between
 * is only buffered, so a burst of messages costs one redraw.
 */
export function startRedrawLoop(draw: (now: number) => void, intervalMs = 500): void {
  let scheduled = false;
  const run = (): void => {
    scheduled = false;
    draw(Date.now());
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(run);
  };
  setInterval(schedule, intervalMs);
  onLangChange(schedule);
  schedule();
}

/** Fills a <select> with options, keeping the chosen value when it still exists. */
export function fillSelect(select: HTMLSelectElement, options: { value: string; label: string }[]): void {
  const prev = select.value;
  const sig = options.map((o) => `${o.value}\u0000${o.label}`).join('\u0001');
  if (select.dataset.sig === sig) return;
  select.dataset.sig = sig;
  select.replaceChildren(
    ...options.map((o) => {
      const opt = document.createElement('option');
      opt.value = o.value;
      opt.textContent = o.label;
      return opt;
    }),
  );
  select.value = options.some((o) => o.value === prev) ? prev : (options[0]?.value ?? '');
}

/** A toggle button (aria-pressed); returns a getter of its state. */
export function bindToggle(btn: HTMLButtonElement, onChange: () => void): () => boolean {
  btn.addEventListener('click', () => {
    btn.setAttribute('aria-pressed', String(btn.getAttribute('aria-pressed') !== 'true'));
    onChange();
  });
  return () => btn.getAttribute('aria-pressed') === 'true';
}
