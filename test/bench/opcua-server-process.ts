/**
 * One process of OPC UA cabinets for `npm run bench:lighting`: the simulator's server
 * (simulators/lighting/opcua-cabinets.ts) with the cabinets named on the command line, on a free
 * port. Sends `{endpointUrl}` to the bench over IPC once it listens; stops when the bench goes.
 * Arguments: <pkiDir> <cabinetId>...
 */
import { freePort } from '../support/free-port.ts';
import { startCabinetServer } from '../../simulators/lighting/opcua-cabinets.ts';

const [pkiDir, ...ids] = process.argv.slice(2);
if (!pkiDir || ids.length === 0) throw new Error('usage: opcua-server-process.ts <pkiDir> <cabinetId>...');
const server = await startCabinetServer({ port: await freePort(), pkiDir, cabinets: ids.map((id) => ({ id, ratedW: 1500 })) });
process.send?.({ endpointUrl: server.endpointUrl });
process.on('disconnect', () => void server.stop().finally(() => process.exit(0)));
