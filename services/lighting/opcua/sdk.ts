/**
 * node-opcua, loaded on first use. Importing it costs 1.4–2 s of CPU (client, server and
 * address space together), which a hub with no OPC UA cabinet never needs: the trust store, the
 * connections and the cabinets ask for it here, always after an `await`, so a hub start (and
 * every test file that starts a hub) pays for it only once a cabinet is reached.
 */
import type * as NodeOpcua from 'node-opcua';

export type Opcua = typeof NodeOpcua;

let loading: Promise<Opcua> | undefined;

export function loadOpcua(): Promise<Opcua> {
  loading ??= import('node-opcua');
  loading.catch(() => (loading = undefined));
  return loading;
}
