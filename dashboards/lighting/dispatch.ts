/**
 * The operator's controls on the lighting page: a group's schedule with tonight's timeline,
 * overrides with an expiry, every command's delivery state, faults with acknowledge.
 * Talks to the REST API only; refreshed every few seconds while shown.
 */
import type { LightingCommandRecord, LightingFault, LightingGroup, LightingOverride, LightingScheduleInput, PlanEntry } from '../../services/contracts/lighting.ts';
import { isMsgKey, locale, onLangChange, t } from '../shared/i18n.ts';
import { must } from '../shared/page.ts';
import { applyDispatchI18n, isDispatchKey, tr } from './dispatch-i18n.ts';
import { initEnergy } from './energy.ts';

/** The city's zone: the plan's local times are shown in it whatever the browser's zone. */
const CITY_TZ = 'Europe/Kyiv';
const REFRESH_MS = 3_000;

type ApiAnswer<T> = { ok: true; body: T } | { ok: false; message: string };

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  try {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (res.ok) return { ok: true, body: parsed as T };
    const message = parsed && typeof parsed === 'object' && 'message' in parsed ? String((parsed as { message: unknown }).message) : `HTTP ${res.status}`;
    return { ok: false, message };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function localHm(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', timeZone: CITY_TZ, hourCycle: 'h23' }).format(new Date(iso));
}

function localDateTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: CITY_TZ, hourCycle: 'h23' }).format(new Date(iso));
}

/** The local date of tonight's evening in the city: before local noon, the night still running began yesterday. */
export function tonight(nowMs: number): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', timeZone: CITY_TZ })
    .formatToParts(new Date(nowMs)).map((p) => [p.type, p.value]));
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return Number(parts.hour) < 12 ? shiftDate(date, -1) : date;
}

function shiftDate(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** "23:00 50, 05:00 100" → steps; null when it does not read. */
export function parseSteps(text: string): { from: string; level: number }[] | null {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const out: { from: string; level: number }[] = [];
  for (const part of trimmed.split(',')) {
    const m = /^\s*(\d{1,2}):(\d{2})\s*(?:=|\s)\s*(\d{1,3}(?:\.\d+)?)\s*%?\s*$/.exec(part);
    if (!m) return null;
    out.push({ from: `${m[1]!.padStart(2, '0')}:${m[2]}`, level: Number(m[3]) });
  }
  return out;
}

const stepsText = (steps: readonly { from: string; level: number }[]): string => steps.map((s) => `${s.from} ${s.level}`).join(', ');

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
};

function levelShade(level: number): string {
  const l = Math.max(0, Math.min(100, level));
  return `hsl(48, 95%, ${30 + l * 0.4}%)`;
}

export function initDispatch(token: string | null): void {
  applyDispatchI18n();
  onLangChange(() => {
    applyDispatchI18n();
    renderAll();
    energy.rerender();
  });
  const tabLive = must<HTMLButtonElement>('tab-live');
  const tabDispatch = must<HTMLButtonElement>('tab-dispatch');
  const tabEnergy = must<HTMLButtonElement>('tab-energy');
  const liveView = must('live-view');
  const dispatchView = must('dispatch');
  const energyView = must('energy-view');
  const energy = initEnergy(token);
  let timer: number | undefined;

  function select(which: 'live' | 'dispatch' | 'energy'): void {
    const d = which === 'dispatch';
    const e = which === 'energy';
    for (const [tab, on] of [[tabLive, which === 'live'], [tabDispatch, d], [tabEnergy, e]] as const) {
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    liveView.classList.toggle('parked', which !== 'live');
    liveView.setAttribute('aria-hidden', String(which !== 'live'));
    dispatchView.hidden = !d;
    energyView.hidden = !e;
    if (e) energy.show();
    if (d && token) {
      void loadGroups();
      void refresh();
      timer ??= window.setInterval(() => void refresh(), REFRESH_MS);
    } else if (timer !== undefined) {
      window.clearInterval(timer);
      timer = undefined;
    }
  }
  const tabs = [tabLive, tabDispatch, tabEnergy];
  tabLive.addEventListener('click', () => select('live'));
  tabDispatch.addEventListener('click', () => select('dispatch'));
  tabEnergy.addEventListener('click', () => select('energy'));
  for (const tab of tabs) {
    tab.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const i = tabs.indexOf(tab);
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!;
      next.focus();
      next.click();
    });
  }
  if (location.hash === '#energy') select('energy');
  if (!token) {
    if (location.hash === '#dispatch') select('dispatch');
    return;
  }
  const tok = token;

  // --- schedule -------------------------------------------------------------------------------
  const groupSel = must<HTMLSelectElement>('sched-group');
  const onEvent = must<HTMLSelectElement>('on-event');
  const onOffset = must<HTMLInputElement>('on-offset');
  const onTime = must<HTMLInputElement>('on-time');
  const offEvent = must<HTMLSelectElement>('off-event');
  const offOffset = must<HTMLInputElement>('off-offset');
  const offTime = must<HTMLInputElement>('off-time');
  const steps = must<HTMLInputElement>('steps');
  const minOn = must<HTMLInputElement>('min-on');
  const schedMsg = must('sched-msg');
  let groups: LightingGroup[] = [];
  let loaded: LightingScheduleInput | null = null;
  let night: PlanEntry | null = null;

  function syncEventInputs(): void {
    onOffset.disabled = onEvent.value === 'time';
    onTime.disabled = onEvent.value !== 'time';
    offOffset.disabled = offEvent.value === 'time';
    offTime.disabled = offEvent.value !== 'time';
  }
  onEvent.addEventListener('change', syncEventInputs);
  offEvent.addEventListener('change', syncEventInputs);

  function say(target: HTMLElement, text: string, error = false): void {
    target.textContent = text;
    target.classList.toggle('error', error);
  }

  function formSchedule(): LightingScheduleInput | null {
    const parsed = parseSteps(steps.value);
    if (!parsed) {
      say(schedMsg, tr('schedule.badSteps'), true);
      return null;
    }
    return {
      on: onEvent.value === 'time' ? { event: 'time', time: onTime.value } : { event: 'sunset', offsetMin: Number(onOffset.value) || 0 },
      off: offEvent.value === 'time' ? { event: 'time', time: offTime.value } : { event: 'sunrise', offsetMin: Number(offOffset.value) || 0 },
      steps: parsed,
      ...(Number(minOn.value) > 0 ? { minOnMin: Number(minOn.value) } : {}),
      // weekday sets and calendar exceptions are kept as they were (edited through the API)
      ...(loaded?.weekdays ? { weekdays: loaded.weekdays } : {}),
      ...(loaded?.exceptions ? { exceptions: loaded.exceptions } : {}),
    };
  }

  function fillForm(s: LightingScheduleInput): void {
    onEvent.value = s.on.event;
    onOffset.value = String(s.on.offsetMin ?? 0);
    if (s.on.time) onTime.value = s.on.time;
    offEvent.value = s.off.event;
    offOffset.value = String(s.off.offsetMin ?? 0);
    if (s.off.time) offTime.value = s.off.time;
    steps.value = stepsText(s.steps ?? []);
    minOn.value = String(s.minOnMin ?? 0);
    syncEventInputs();
  }

  async function loadGroups(): Promise<void> {
    const r = await api<LightingGroup[]>(tok, 'GET', '/api/v1/lighting/groups');
    if (!r.ok) return;
    const before = groupSel.value;
    groups = r.body;
    groupSel.replaceChildren(...groups.map((g) => {
      const o = el('option', `${g.name} (${g.groupId})`);
      o.value = g.groupId;
      return o;
    }));
    if (groups.length === 0) say(schedMsg, tr('schedule.noGroups'));
    if (before && groups.some((g) => g.groupId === before)) groupSel.value = before;
    else if (groups[0]) {
      groupSel.value = groups[0].groupId;
      await loadSchedule();
    }
    fillTargets();
  }

  async function loadSchedule(): Promise<void> {
    const id = groupSel.value;
    if (!id) return;
    // only groups that have one are asked, so the console shows no 404 for the others
    const r: ApiAnswer<LightingScheduleInput> = groups.find((g) => g.groupId === id)?.hasSchedule
      ? await api<LightingScheduleInput>(tok, 'GET', `/api/v1/lighting/groups/${encodeURIComponent(id)}/schedule`)
      : { ok: false, message: 'no schedule' };
    if (r.ok) {
      loaded = r.body;
      fillForm(r.body);
      say(schedMsg, '');
      await showTonight(`/api/v1/lighting/groups/${encodeURIComponent(id)}/plan?from=${tonight(Date.now())}&to=${shiftDate(tonight(Date.now()), 1)}`);
    } else {
      loaded = null;
      night = null;
      renderTimeline();
      say(schedMsg, tr('schedule.none'));
    }
  }
  groupSel.addEventListener('change', () => void loadSchedule());

  async function showTonight(path: string, body?: unknown): Promise<void> {
    const r = await api<PlanEntry[]>(tok, body === undefined ? 'GET' : 'POST', path, body);
    if (!r.ok) {
      say(schedMsg, tr('error.prefix', { message: r.message }), true);
      return;
    }
    night = r.body[0] ?? null;
    renderTimeline();
  }

  must<HTMLButtonElement>('sched-preview').addEventListener('click', () => {
    const s = formSchedule();
    if (!s) return;
    const from = tonight(Date.now());
    say(schedMsg, '');
    void showTonight('/api/v1/lighting/plan-preview', { schedule: s, from, to: shiftDate(from, 1) });
  });
  must<HTMLFormElement>('schedule-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const s = formSchedule();
    const id = groupSel.value;
    if (!s || !id) return;
    void (async () => {
      const r = await api<LightingScheduleInput>(tok, 'PUT', `/api/v1/lighting/groups/${encodeURIComponent(id)}/schedule`, s);
      if (!r.ok) {
        say(schedMsg, tr('error.prefix', { message: r.message }), true);
        return;
      }
      loaded = r.body;
      say(schedMsg, tr('schedule.saved'));
      const from = tonight(Date.now());
      await showTonight(`/api/v1/lighting/groups/${encodeURIComponent(id)}/plan?from=${from}&to=${shiftDate(from, 1)}`);
    })();
  });

  function renderTimeline(): void {
    const heading = must('timeline-heading');
    const bar = must('timeline');
    const list = must('timeline-list');
    heading.textContent = tr('timeline.heading', { date: night?.date ?? tonight(Date.now()) });
    bar.replaceChildren();
    list.replaceChildren();
    if (!night) return;
    if (!night.on || !night.off) {
      list.append(el('li', tr('timeline.unlit')));
      bar.setAttribute('aria-label', tr('timeline.unlit'));
      return;
    }
    const on = Date.parse(night.on);
    const off = Date.parse(night.off);
    night.steps.forEach((s, i) => {
      const start = Date.parse(s.at);
      const end = i + 1 < night!.steps.length ? Date.parse(night!.steps[i + 1]!.at) : off;
      const seg = el('div', `${s.level} %`, 'seg');
      seg.style.flexGrow = String(Math.max(1, end - start));
      seg.style.flexBasis = '0';
      seg.style.background = levelShade(s.level);
      seg.title = `${localHm(s.at)}–${localHm(new Date(end).toISOString())}: ${s.level} %`;
      bar.append(seg);
      list.append(el('li', `${localHm(s.at)} ${i === 0 ? `${tr('timeline.on')} ` : '→ '}${s.level} %`));
    });
    list.append(el('li', `${localHm(night.off)} ${tr('timeline.off')}`));
    bar.setAttribute('aria-label', tr('timeline.label', { on: localHm(new Date(on).toISOString()), off: localHm(night.off) }));
  }

  // --- overrides ------------------------------------------------------------------------------
  const target = must<HTMLSelectElement>('ovr-target');
  const ovrMsg = must('ovr-msg');
  let cabinets: string[] = [];
  let overrides: LightingOverride[] = [];

  function fillTargets(): void {
    const before = target.value;
    const options = [
      ...groups.map((g) => ({ value: `group:${g.groupId}`, label: `${tr('override.groupPrefix')} ${g.name}` })),
      ...cabinets.map((c) => ({ value: `cabinet:${c}`, label: `${tr('override.cabinetPrefix')} ${c}` })),
    ];
    target.replaceChildren(...options.map((o) => {
      const opt = el('option', o.label);
      opt.value = o.value;
      return opt;
    }));
    if (options.some((o) => o.value === before)) target.value = before;
  }

  must<HTMLFormElement>('override-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const [kind, id] = target.value.split(/:(.*)/s) as [string, string];
    if (!id) return;
    const minutes = Number(must<HTMLInputElement>('ovr-duration').value);
    const body = {
      ...(kind === 'group' ? { groupId: id } : { controllerId: id }),
      level: Number(must<HTMLInputElement>('ovr-level').value),
      expiresAt: new Date(Date.now() + minutes * 60_000).toISOString(),
      priority: must<HTMLSelectElement>('ovr-priority').value,
    };
    void (async () => {
      const r = await api<LightingOverride>(tok, 'POST', '/api/v1/lighting/overrides', body);
      say(ovrMsg, r.ok ? '' : tr('error.prefix', { message: r.message }), !r.ok);
      await refresh();
    })();
  });

  function renderOverrides(): void {
    const list = must('overrides');
    list.replaceChildren();
    if (overrides.length === 0) list.append(el('li', tr('override.none')));
    for (const o of overrides) {
      const li = el('li');
      li.dataset.id = o.id;
      const what = o.groupId ? `${tr('override.groupPrefix')} ${o.groupId}` : `${tr('override.cabinetPrefix')} ${o.controllerId}`;
      li.append(el('span', `${what}: ${o.level} % · ${tr(o.priority === 'emergency' ? 'override.emergency' : 'override.operator')} · ${tr('override.until', { time: localDateTime(o.expiresAt) })}`));
      const end = el('button', tr('override.end'));
      end.type = 'button';
      end.addEventListener('click', () => void api(tok, 'DELETE', `/api/v1/lighting/overrides/${encodeURIComponent(o.id)}`).then(() => refresh()));
      li.append(end);
      list.append(li);
    }
  }

  // --- commands and faults ----------------------------------------------------------------------
  let commands: LightingCommandRecord[] = [];
  let faults: LightingFault[] = [];

  function renderCommands(): void {
    const body = must<HTMLTableElement>('commands').tBodies[0]!;
    body.replaceChildren();
    if (commands.length === 0) {
      const td = el('td', tr('commands.none'));
      td.colSpan = 7;
      const row = el('tr');
      row.append(td);
      body.append(row);
    }
    for (const c of commands) {
      const tr_ = el('tr');
      tr_.dataset.id = c.cmdId;
      tr_.dataset.state = c.state;
      const action = isDispatchKey(`action.${c.action}`) ? tr(`action.${c.action}` as 'action.on', { level: c.level ?? '' }) : c.action;
      const source = c.source.startsWith('override:') ? tr('source.override') : tr('source.schedule');
      const state = isDispatchKey(`state.${c.state}`) ? tr(`state.${c.state}` as 'state.sent') : c.state;
      tr_.append(el('td', localDateTime(c.createdAt)), el('td', c.controllerId), el('td', action), el('td', source), el('td', state, `state-${c.state}`), el('td', String(c.attempts), 'num'), el('td', c.detail ?? ''));
      body.append(tr_);
    }
  }

  function faultName(code: string): string {
    const key = `fault.${code}`;
    return isMsgKey(key) ? t(key) : code;
  }

  function renderFaults(): void {
    const body = must<HTMLTableElement>('fault-list').tBodies[0]!;
    body.replaceChildren();
    if (faults.length === 0) {
      const td = el('td', tr('faults.none'));
      td.colSpan = 5;
      const row = el('tr');
      row.append(td);
      body.append(row);
    }
    for (const f of faults) {
      const row = el('tr');
      row.dataset.id = String(f.id);
      const ack = el('td');
      if (f.ackedAt) ack.textContent = tr('faults.acked', { who: f.ackedBy ?? '' });
      else {
        const b = el('button', tr('faults.ack'));
        b.type = 'button';
        b.addEventListener('click', () => void api(tok, 'POST', `/api/v1/lighting/faults/${f.id}/ack`).then(() => refresh()));
        ack.append(b);
      }
      row.append(el('td', localDateTime(f.raisedAt)), el('td', f.controllerId), el('td', `${faultName(f.code)}${f.lampId ? ` (${f.lampId})` : ''}`), el('td', f.detail ?? ''), ack);
      body.append(row);
    }
  }

  function renderAll(): void {
    renderTimeline();
    fillTargets();
    renderOverrides();
    renderCommands();
    renderFaults();
  }

  async function refresh(): Promise<void> {
    const [o, c, f, cabs] = await Promise.all([
      api<LightingOverride[]>(tok, 'GET', '/api/v1/lighting/overrides'),
      api<LightingCommandRecord[]>(tok, 'GET', '/api/v1/lighting/commands?limit=50'),
      api<LightingFault[]>(tok, 'GET', '/api/v1/lighting/faults?active=true&limit=200'),
      api<{ controllerId: string }[]>(tok, 'GET', '/api/v1/lighting/controllers'),
    ]);
    if (o.ok) overrides = o.body;
    if (c.ok) commands = c.body;
    if (f.ok) faults = f.body;
    if (cabs.ok) cabinets = cabs.body.map((x) => x.controllerId).sort();
    renderAll();
  }
  syncEventInputs();
  if (location.hash === '#dispatch') select('dispatch');
}
