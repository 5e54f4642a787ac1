import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux). */
function clockTicks(): number {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
}
const CLK_TCK = clockTicks();

export interface ProcReading {
  /** user + system CPU seconds of the process (all its threads) */
  cpuS: number;
  rssKb: number;
}

/** CPU and RSS of one process from /proc, or undefined when it has gone. */
export function readProc(pid: number): ProcReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return { cpuS: (utime + stime) / CLK_TCK, rssKb: rss?.[1] ? Number(rss[1]) : 0 };
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine was busy (all cores, every process), from /proc/stat. */
export function readMachine(): ProcReading {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal
    const v = first.trim().split(/\s+/).slice(1).map(Number);
    const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
    return { cpuS: busy / CLK_TCK, rssKb: 0 };
  } catch {
    return { cpuS: 0, rssKb: 0 };
  }
}

/** The role that stands for the whole machine rather than some processes. */
export const MACHINE = 'machine';

/** Sum over a group of processes (a role such as "peer" = mosquitto + Node-RED). */
function readGroup(pids: readonly number[]): ProcReading {
  let cpuS = 0;
  let rssKb = 0;
  for (const pid of pids) {
    const r = readProc(pid);
    if (r) {
      cpuS += r.cpuS;
      rssKb += r.rssKb;
    }
  }
  return { cpuS, rssKb };
}

export interface RoleFigures {
  /** mean CPU over the window, percent of one core (200 = both cores of a 2-core machine) */
  cpuPct: number;
  peakRssMb: number;
  /** CPU% of each one-second sample, for the curious */
  samples: number[];
}

interface Window {
  startMs: number;
  start: Map<string, ProcReading>;
  last: Map<string, { atMs: number; cpuS: number }>;
  peakKb: Map<string, number>;
  samples: Map<string, number[]>;
}

/**
 * Samples CPU and RSS of named groups of processes every second. `begin()` opens a measuring
 * window over some roles; its `end()` gives mean CPU% (CPU seconds used / wall seconds) and the
 * peak of the RSS samples taken inside the window.
 */
export class ProcSampler {
  private readonly roles = new Map<string, number[]>();
  private readonly windows = new Set<Window>();
  private timer: NodeJS.Timeout | undefined;

  setRole(role: string, pids: number[]): void {
    this.roles.set(role, pids);
  }

  start(): void {
    this.timer ??= setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = performance.now();
    for (const w of this.windows) {
      for (const role of w.start.keys()) this.take(w, role, now);
    }
  }

  private take(w: Window, role: string, now: number): ProcReading {
    const r = role === MACHINE ? readMachine() : readGroup(this.roles.get(role) ?? []);
    w.peakKb.set(role, Math.max(w.peakKb.get(role) ?? 0, r.rssKb));
    const last = w.last.get(role);
    if (last && now > last.atMs) w.samples.get(role)?.push(((r.cpuS - last.cpuS) / ((now - last.atMs) / 1000)) * 100);
    w.last.set(role, { atMs: now, cpuS: r.cpuS });
    return r;
  }

  begin(roles: readonly string[]): { end(): Record<string, RoleFigures> } {
    const w: Window = { startMs: performance.now(), start: new Map(), last: new Map(), peakKb: new Map(), samples: new Map() };
    for (const role of roles) {
      w.samples.set(role, []);
      w.start.set(role, this.take(w, role, w.startMs));
    }
    this.windows.add(w);
    return {
      end: () => {
        this.windows.delete(w);
        const now = performance.now();
        const out: Record<string, RoleFigures> = {};
        for (const [role, first] of w.start) {
          const r = this.take(w, role, now);
          const wallS = (now - w.startMs) / 1000;
          out[role] = {
            cpuPct: wallS > 0 ? ((r.cpuS - first.cpuS) / wallS) * 100 : 0,
            peakRssMb: (w.peakKb.get(role) ?? 0) / 1024,
            samples: (w.samples.get(role) ?? []).map((v) => Math.round(v)),
          };
        }
        return out;
      },
    };
  }
}
