/**
 * The peer pipeline: mosquitto + Node-RED (mqtt in → json → function → join → influxdb batch),
 * installed by the bench into a cache folder under the OS temp dir, never a project dependency.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, tcpOpen, waitFor, type Child } from './processes.ts';
import { BenchSetupError, resolveCommand } from './requirements.ts';

export const PEER_NAME = 'mosquitto 2 + Node-RED 4.1.15 + node-red-contrib-influxdb 0.7';
const NODE_RED = '4.1.15';
const INFLUX_NODES = '0.7';
/** messages per InfluxDB write of the join node (the hub writes batches of up to 5,000) */
export const PEER_BATCH = 5000;

export const peerCacheDir = (): string => join(tmpdir(), 'mistohub-bench-peer');

function installedVersion(dir: string, pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Installs Node-RED and the InfluxDB nodes into the cache folder unless they are there already. */
export async function ensurePeerInstalled(log: (s: string) => void): Promise<string> {
  const dir = peerCacheDir();
  if (installedVersion(dir, 'node-red') === NODE_RED && installedVersion(dir, 'node-red-contrib-influxdb')?.startsWith(`${INFLUX_NODES}.`)) return dir;
  mkdirSync(dir, { recursive: true });
  // A package.json of its own, so npm never walks up into another project.
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"name":"mistohub-bench-peer","private":true}\n');
  log(`installing node-red@${NODE_RED} and node-red-contrib-influxdb@${INFLUX_NODES} into ${dir} (once; later runs reuse it)`);
  const code = await new Promise<number | null>((resolve) => {
    const npm = spawn('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', `node-red@${NODE_RED}`, `node-red-contrib-influxdb@${INFLUX_NODES}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => npm.kill('SIGKILL'), 10 * 60_000);
    npm.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
    npm.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (code !== 0 || installedVersion(dir, 'node-red') !== NODE_RED) {
    throw new BenchSetupError(
      `Node-RED ${NODE_RED} for the peer pipeline could not be installed into ${dir} (npm exit ${String(code)}, output above). ` +
        'The first run needs npm (it comes with Node.js) and the npm registry; later runs reuse the folder. Or run without the peer: npm run bench -- --no-peer',
    );
  }
  return dir;
}

export async function startMosquitto(workDir: string, port: number): Promise<Child> {
  const conf = join(workDir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 1000000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = startChild('mosquitto', resolveCommand('mosquitto'), ['-c', conf]);
  if (!(await waitFor(() => tcpOpen(port), 15_000, 100))) {
    await child.stop();
    throw new Error(`mosquitto did not listen on ${port}:\n${child.output()}`);
  }
  return child;
}

/** Node ids: opaque hex as the editor makes them (a short id such as "json" trips Node-RED's config-node check). */
const ID = {
  tab: 'b0e7c1a2d3f40001',
  broker: 'b0e7c1a2d3f40002',
  influx: 'b0e7c1a2d3f40003',
  in: 'b0e7c1a2d3f40004',
  json: 'b0e7c1a2d3f40005',
  fn: 'b0e7c1a2d3f40006',
  join: 'b0e7c1a2d3f40007',
  out: 'b0e7c1a2d3f40008',
} as const;

/** The flow: mqtt in (QoS 1) → json → function (to an influx point) → join (N or 1 s) → influxdb batch. */
function flow(mqttPort: number, influxUrl: string, database: string): unknown[] {
  const influx = new URL(influxUrl);
  const toPoint = [
    'const p = msg.payload;',
    "const device = msg.topic.split('/')[2];",
    "msg.payload = { measurement: 'position', tags: { device }, fields: { lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, courseDeg: p.courseDeg, fix: true }, timestamp: p.ts };",
    'return msg;',
  ].join('\n');
  return [
    { id: ID.tab, type: 'tab', label: 'bench', disabled: false },
    {
      id: ID.broker, type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(mqttPort), clientid: 'bench-node-red',
      autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, autoUnsubscribe: true,
    },
    { id: ID.influx, type: 'influxdb', hostname: influx.hostname, port: influx.port, protocol: 'http', database, name: 'influxd', usetls: false, influxdbVersion: '1.x' },
    { id: ID.in, type: 'mqtt in', z: ID.tab, name: '', topic: 'v1/transit/+/position', qos: '1', datatype: 'utf8', broker: ID.broker, nl: false, rap: true, rh: 0, inputs: 0, wires: [[ID.json]] },
    { id: ID.json, type: 'json', z: ID.tab, name: '', property: 'payload', action: 'obj', pretty: false, wires: [[ID.fn]] },
    { id: ID.fn, type: 'function', z: ID.tab, name: 'to point', func: toPoint, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[ID.join]] },
    {
      id: ID.join, type: 'join', z: ID.tab, name: '', mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg', key: 'topic',
      joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '1', count: String(PEER_BATCH), reduceRight: false, reduceExp: '',
      reduceInit: '', reduceInitType: '', reduceFixup: '', wires: [[ID.out]],
    },
    { id: ID.out, type: 'influxdb batch', z: ID.tab, influxdb: ID.influx, precision: 'ms', retentionPolicy: '', name: '', database: '', precisionV18FluxV20: 'ms', retentionPolicyV18Flux: '', org: '', bucket: '', wires: [] },
  ];
}

export interface NodeRed {
  child: Child;
  /** errors Node-RED logged (failed writes and the like), the first few */
  errors(): string[];
}

/** Starts Node-RED from the cache on the flow, and waits until it is connected to mosquitto. */
export async function startNodeRed(cacheDir: string, userDir: string, mqttPort: number, httpPort: number, influxUrl: string, database: string): Promise<NodeRed> {
  const flowFile = join(userDir, 'flows.json');
  writeFileSync(flowFile, JSON.stringify(flow(mqttPort, influxUrl, database), null, 2));
  const settingsFile = join(userDir, 'settings.cjs');
  writeFileSync(
    settingsFile,
    `module.exports = ${JSON.stringify({
      flowFile,
      userDir,
      uiHost: '127.0.0.1',
      uiPort: httpPort,
      httpAdminRoot: false,
      httpNodeRoot: false,
      disableEditor: true,
      credentialSecret: false,
      logging: { console: { level: 'info', metrics: false, audit: false } },
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
      runtimeState: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    }, null, 2)};\n`,
  );
  let connected = false;
  const errors: string[] = [];
  const child = startChild('node-red', process.execPath, [join(cacheDir, 'node_modules', 'node-red', 'red.js'), '--settings', settingsFile, '--userDir', userDir], { cwd: userDir }, (line) => {
    if (/Connected to broker/i.test(line)) connected = true;
    if ((/\[error\]/i.test(line) || /^\s*Error\b/.test(line)) && errors.length < 20) errors.push(line.trim());
  });
  const ok = await waitFor(() => connected || child.proc.exitCode !== null, 90_000, 100);
  if (!ok || !connected) {
    await child.stop();
    throw new Error(`Node-RED did not connect to mosquitto:\n${child.output()}`);
  }
  return { child, errors: () => errors };
}
