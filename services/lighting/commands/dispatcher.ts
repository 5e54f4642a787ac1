import type { IANAZone } from 'luxon';
import type { LightingCommand, LightingSchedule } from '../../contracts/index.ts';
import type { ActiveOverride } from '../dispatch/overrides.ts';
import type { Place } from '../schedule/sun.ts';
import type { CommandMark, CommandRow, CommandTable, NewCommand } from './command-table.ts';
import { desiredFor, scheduleDesire, type Desired } from './desired.ts';

export interface RetryPolicy {
  /** wait for `cmd/ack` this long after the first send, doubling after each resend */
  ackTimeoutMs: number;
  /** sends to a cabinet that keeps talking but never acknowledges, before `failed` */
  maxAttempts: number;
  /** a cabinet heard from within this window is online */
  onlineWindowMs: number;
  /** after a command ended `failed` or `rejected`, the same desire is tried again after this */
  reassertAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { ackTimeoutMs: 5_000, maxAttempts: 5, onlineWindowMs: 20 * 60_000, reassertAfterMs: 5 * 60_000 };

export interface DispatcherDeps {
  commands: CommandTable;
  /** cabinets under the hub's control, with their group */
  cabinets(): { id: string; groupId: string | null }[];
  schedules(): Map<string, LightingSchedule>;
  overrides(nowMs: number): ActiveOverride[];
  /** when the hub last heard from a cabinet (any message), or undefined */
  lastHeard(controllerId: string): number | undefined;
  /** delivers a command to its cabinet (MQTT publish, QoS 1); rejects when it could not be handed over */
  deliver(cmd: CommandRow, payload: LightingCommand): Promise<void>;
  place: Place;
  zone: IANAZone;
  retry?: RetryPolicy;
  onError?(err: Error, cmd: CommandRow): void;
}

/** What one pass decided: the commands' marks, and the cabinets a command now waits for. */
interface Pass { marks: CommandMark[]; waiting: Set<string> }

/**
 * Keeps every cabinet's desired state (plan + overrides) against what was commanded and
 * acknowledged. `tick(now)` is the whole algorithm; the module runs it every few seconds and
 * right after a silent cabinet speaks again.
 *
 * - A new command when the desire changes (level or source), superseding open ones.
 * - Sent when the cabinet has been heard from since the command was last sent (so a cabinet
 *   that dropped off gets it again when it comes back), never after its expiry.
 * - Waiting for `cmd/ack` with doubling timeouts; a cabinet silent since the send is presumed
 *   offline (the command waits, attempts are not used up); one that talks but does not
 *   acknowledge uses up attempts until `failed`.
 */
export class Dispatcher {
  private readonly retry: RetryPolicy;
  /** each cabinet's desired level at the last pass (absent: nothing governs it) */
  readonly desired = new Map<string, number>();
  constructor(private readonly deps: DispatcherDeps) {
    this.retry = deps.retry ?? DEFAULT_RETRY;
  }

  /**
   * Cabinets with a command waiting for them to be heard from (offline, or silent since the
   * send): only their messages need a pass at once (`waitsFor`). Rebuilt by every pass.
   */
  private waiting = new Set<string>();

  /** Whether a command waits for this cabinet to speak again: its next message should trigger a pass. */
  waitsFor(controllerId: string): boolean {
    return this.waiting.has(controllerId);
  }

  /**
   * A cabinet's ack was kept (committed). When it answers the cabinet's newest command, nothing
   * waits for the cabinet any more: no pass is needed for it. (A group command's acks that come
   * after the ack timeout under load would otherwise each ask for a pass over every cabinet.)
   */
  settled(controllerId: string, cmdId: string): void {
    if (this.deps.commands.newestId(controllerId) === cmdId) this.waiting.delete(controllerId);
  }

  /**
   * One pass; returns how many commands were made and sent. The writes of a pass are three
   * transactions (expiries; new commands; then every send, wait and failure), whatever the number
   * of cabinets; the messages go out once the last is committed, so an ack never finds its
   * command still `pending`.
   */
  async tick(nowMs: number): Promise<{ created: number; sent: number; expired: number }> {
    const { commands } = this.deps;
    const expired = await commands.expire(nowMs);
    await commands.refresh();
    const created = await this.createCommands(nowMs);
    const pass: Pass = { marks: [], waiting: new Set() };
    const sends: (() => Promise<void>)[] = [];
    for (const cmd of await commands.due(nowMs)) {
      const send = this.advance(cmd, nowMs, pass);
      if (send) sends.push(send);
    }
    this.waiting = pass.waiting;
    await commands.writeMarks(pass.marks, nowMs);
    await Promise.all(sends.map((send) => send()));
    return { created, sent: sends.length, expired };
  }

  private async createCommands(nowMs: number): Promise<number> {
    const { commands, place, zone } = this.deps;
    const schedules = this.deps.schedules();
    const overrides = this.deps.overrides(nowMs);
    const byGroup = new Map<string, Desired>();
    for (const [groupId, schedule] of schedules) byGroup.set(groupId, scheduleDesire(schedule, nowMs, place, zone));
    this.desired.clear();
    const fresh: NewCommand[] = [];
    for (const cab of this.deps.cabinets()) {
      const desired = desiredFor(cab.id, cab.groupId, overrides, cab.groupId ? byGroup.get(cab.groupId) : undefined, nowMs);
      if (desired) this.desired.set(cab.id, desired.level);
      const last = commands.newest(cab.id);
      const next = this.nextCommand(desired, last, nowMs);
      if (next) fresh.push({ controllerId: cab.id, ...next });
    }
    if (fresh.length) await commands.createMany(fresh, nowMs);
    return fresh.length;
  }

  private nextCommand(desired: Desired | null, last: CommandRow | undefined, nowMs: number): { action: LightingCommand['action']; level: number | null; source: string; expiresAt: number } | null {
    if (!desired) {
      // Nothing governs the cabinet any more (override over, no schedule): hand it back to its own program.
      if (!last || last.action === 'resume-schedule') return null;
      return { action: 'resume-schedule', level: null, source: 'schedule', expiresAt: nowMs + 24 * 3_600_000 };
    }
    if (last && last.action !== 'resume-schedule' && last.level === desired.level && last.source === desired.source) {
      const settled = last.state === 'pending' || last.state === 'sent' || last.state === 'acknowledged';
      const retryDue = (last.state === 'failed' || last.state === 'rejected') && nowMs - (last.finished_at ?? nowMs) >= this.retry.reassertAfterMs;
      const lapsed = last.state === 'expired' && last.expires_at <= nowMs && desired.until > nowMs;
      if (settled || !(retryDue || lapsed)) return null;
    }
    return { action: desired.level > 0 ? 'set-level' : 'off', level: desired.level, source: desired.source, expiresAt: desired.until };
  }

  /** Decides what becomes of an open command (its mark goes to `marks`); returns its delivery when it is to be sent now. */
  private advance(cmd: CommandRow, nowMs: number, pass: Pass): (() => Promise<void>) | null {
    const heard = this.deps.lastHeard(cmd.controller_id);
    const online = heard !== undefined && nowMs - heard < this.retry.onlineWindowMs;
    if (cmd.state === 'sent') {
      if (cmd.next_attempt_at !== null && nowMs < cmd.next_attempt_at) return null;
      // No ack in time. Silent since the send: presumed offline, wait for it to come back.
      if (heard === undefined || heard <= (cmd.last_sent_at ?? 0)) {
        pass.marks.push({ kind: 'waiting', id: cmd.id, detail: 'no answer from the cabinet since it was sent; sent again when it is heard from' });
        pass.waiting.add(cmd.controller_id);
        return null;
      }
      if (cmd.attempts >= this.retry.maxAttempts) {
        pass.marks.push({ kind: 'failed', id: cmd.id, detail: `no acknowledgement after ${cmd.attempts} sends` });
        return null;
      }
      return this.send(cmd, nowMs, pass);
    }
    // pending: first send, or waiting for a silent cabinet to speak again
    if (!online || (cmd.last_sent_at !== null && heard! <= cmd.last_sent_at)) {
      if (!cmd.detail) pass.marks.push({ kind: 'waiting', id: cmd.id, detail: 'the cabinet is offline; sent when it is heard from' });
      pass.waiting.add(cmd.controller_id);
      return null;
    }
    return this.send(cmd, nowMs, pass);
  }

  private send(cmd: CommandRow, nowMs: number, pass: Pass): () => Promise<void> {
    const timeout = this.retry.ackTimeoutMs * 2 ** Math.min(cmd.attempts, 10);
    // The row says `sent` before the message leaves, so an ack can never race ahead of it.
    pass.marks.push({ kind: 'sent', id: cmd.id, nextAttemptAt: nowMs + timeout });
    const payload: LightingCommand = {
      cmdId: cmd.id, ts: new Date(nowMs).toISOString(), action: cmd.action,
      ...(cmd.level !== null && cmd.action === 'set-level' ? { level: cmd.level } : {}),
      expiresAt: new Date(cmd.expires_at).toISOString(),
    };
    return () => this.deps.deliver(cmd, payload).catch(async (err: Error) => {
      this.deps.onError?.(err, cmd);
      await this.deps.commands.writeMarks([{ kind: 'waiting', id: cmd.id, detail: `could not be handed to the broker: ${err.message}` }], nowMs);
    });
  }
}
