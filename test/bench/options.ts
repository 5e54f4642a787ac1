/** Command-line options of `npm run bench` and `npm run bench:floor`. */

export interface BenchOptions {
  /** seconds of the capacity phase (and of the peer's run) */
  durationS: number;
  /** MQTT connections, one per registered tracker */
  connections: number;
  /** closed loop: QoS 1 messages in flight per connection in the capacity phase */
  window: number;
  /** msgs/s of the latency phase (open loop) */
  rate: number;
  /** seconds of the latency phase */
  latencyDurationS: number;
  /** load-generator processes */
  generators: number;
  /** run the peer pipeline (mosquitto + Node-RED) */
  peer: boolean;
  /** seconds the peer may take after its run to get everything into InfluxDB */
  peerDrainS: number;
  /** run the hub under `node --cpu-prof` and summarise where its time goes */
  profile: boolean;
  /** seconds of the overload phase (three times the measured capacity, open loop); 0 skips it */
  overloadDurationS: number;
  /** seconds of each open-loop step finding a pipeline's sustainable rate; 0 skips them */
  stepS: number;
}

export const DEFAULTS: BenchOptions = {
  durationS: 8,
  connections: 1500,
  window: 8,
  rate: 5000,
  latencyDurationS: 8,
  generators: 1,
  peer: true,
  peerDrainS: 10,
  profile: false,
  overloadDurationS: 5,
  stepS: 8,
};

export const USAGE = `npm run bench -- [options]

  --duration <s>          capacity phase and peer run, seconds (default ${DEFAULTS.durationS})
  --connections <n>       MQTT connections = registered trackers (default ${DEFAULTS.connections})
  --window <n>            QoS 1 messages in flight per connection, capacity phase (default ${DEFAULTS.window})
  --rate <msg/s>          fixed rate of the latency phase (default ${DEFAULTS.rate})
  --latency-duration <s>  latency phase, seconds (default ${DEFAULTS.latencyDurationS})
  --generators <n>        load-generator processes (default ${DEFAULTS.generators})
  --overload-duration <s> overload phase at 3× the measured capacity, seconds; 0 skips it (default ${DEFAULTS.overloadDurationS})
  --peer-drain <s>        how long the peer may take to flush into InfluxDB after its run (default ${DEFAULTS.peerDrainS})
  --step <s>              each open-loop step finding a pipeline's sustainable rate, seconds; 0 skips them (default ${DEFAULTS.stepS})
  --no-peer               skip the peer pipeline (mosquitto + Node-RED)
  --profile               run the hub under node --cpu-prof (also: BENCH_PROFILE=1)
  --help
`;

const NUMERIC: Record<string, { key: keyof BenchOptions; min: number; max: number }> = {
  '--duration': { key: 'durationS', min: 1, max: 3600 },
  '--connections': { key: 'connections', min: 1, max: 20_000 },
  '--window': { key: 'window', min: 1, max: 10_000 },
  '--rate': { key: 'rate', min: 1, max: 1_000_000 },
  '--latency-duration': { key: 'latencyDurationS', min: 1, max: 3600 },
  '--generators': { key: 'generators', min: 1, max: 64 },
  '--peer-drain': { key: 'peerDrainS', min: 0, max: 3600 },
  '--overload-duration': { key: 'overloadDurationS', min: 0, max: 3600 },
  '--step': { key: 'stepS', min: 0, max: 3600 },
};

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[], env: Record<string, string | undefined>): BenchOptions | 'help' {
  const o: BenchOptions = { ...DEFAULTS, profile: env.BENCH_PROFILE === '1' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--no-peer') {
      o.peer = false;
      continue;
    }
    if (arg === '--profile') {
      o.profile = true;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = NUMERIC[flag];
    if (!spec) throw new UsageError(`unknown option ${arg}`);
    const text = inline ?? argv[++i];
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || value < spec.min || value > spec.max) {
      throw new UsageError(`${flag} needs a number from ${spec.min} to ${spec.max}, got ${text ?? 'nothing'}`);
    }
    (o[spec.key] as number) = spec.key === 'durationS' || spec.key === 'latencyDurationS' || spec.key === 'peerDrainS' || spec.key === 'overloadDurationS' || spec.key === 'stepS' ? value : Math.round(value);
  }
  if (o.generators > o.connections) o.generators = o.connections;
  return o;
}

/** What bench:floor measures: four MQTT servers, and influxd alone. */
export const FLOOR_PARTS = ['bare', 'aedes', 'hub', 'mosquitto', 'influxd'] as const;
export type FloorPart = (typeof FLOOR_PARTS)[number];

export interface FloorOptions {
  /** msgs/s of the open-loop steps, one after the other */
  rates: number[];
  /** in this order */
  parts: FloorPart[];
  connections: number;
  /** seconds of each step */
  stepS: number;
}

export const FLOOR_DEFAULTS: FloorOptions = { rates: [20_000, 40_000, 60_000], parts: [...FLOOR_PARTS], connections: 1500, stepS: 10 };

export const FLOOR_USAGE = `npm run bench:floor -- [options]

  --rates <r,r,...>   msgs/s of the open-loop steps (default ${FLOOR_DEFAULTS.rates.join(',')})
  --parts <p,p,...>   what to measure, of ${FLOOR_PARTS.join(', ')} (default all)
  --connections <n>   MQTT connections (default ${FLOOR_DEFAULTS.connections})
  --step <s>          seconds of each step (default ${FLOOR_DEFAULTS.stepS})
  --help
`;

export function parseFloorOptions(argv: readonly string[]): FloorOptions | 'help' {
  const o: FloorOptions = { ...FLOOR_DEFAULTS, rates: [...FLOOR_DEFAULTS.rates], parts: [...FLOOR_DEFAULTS.parts] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const text = inline ?? argv[++i];
    const whole = (min: number, max: number): number => {
      const value = Number(text);
      if (text === undefined || !Number.isInteger(value) || value < min || value > max) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${text ?? 'nothing'}`);
      return value;
    };
    if (flag === '--rates') {
      const parts = (text ?? '').split(',');
      o.rates = parts.map((part) => {
        const value = Number(part);
        if (part === '' || !Number.isInteger(value) || value < 1 || value > 1_000_000) throw new UsageError(`--rates needs whole msgs/s from 1 to 1000000 separated by commas, got ${text ?? 'nothing'}`);
        return value;
      });
    } else if (flag === '--parts') {
      const parts = (text ?? '').split(',');
      const unknown = parts.filter((p) => !(FLOOR_PARTS as readonly string[]).includes(p));
      if (unknown.length) throw new UsageError(`--parts takes ${FLOOR_PARTS.join(', ')} separated by commas, got ${text ?? 'nothing'}`);
      o.parts = FLOOR_PARTS.filter((p) => parts.includes(p));
    } else if (flag === '--connections') o.connections = whole(1, 20_000);
    else if (flag === '--step') o.stepS = whole(1, 600);
    else throw new UsageError(`unknown option ${arg}`);
  }
  return o;
}
