/**
 * The two servers `npm run bench:floor` measures (floor.ts): what taking in MQTT QoS 1 costs in
 * Node before the hub does anything of its own. Run as a child:
 * `node --import tsx floor-server.ts <kind> <port>`.
 *
 * - `bare`: the least any Node MQTT server can do: frames packets by hand and answers CONNACK,
 *   PUBACK and PINGRESP. No MQTT library, no sessions, no disk. Its cost is the socket reads and
 *   writes of one-message-per-read traffic, and the event loop around them.
 * - `aedes`: aedes as the hub serves it (`noDelay`, device messages not forwarded while nobody
 *   subscribes), with every login accepted and every publish authorised at once. No validation, no
 *   spool, no store: what the hub pays for aedes alone.
 */
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { createServer, type Socket } from 'node:net';

const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const PINGRESP = Buffer.from([0xd0, 0]);

function bareConnection(socket: Socket): void {
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      // fixed header: type byte, then the remaining length in 1–4 bytes of 7 bits
      let length = 0;
      let shift = 0;
      let i = at + 1;
      let complete = false;
      while (i < buf.length && shift <= 21) {
        const b = buf[i++]!;
        length += (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || buf.length - i < length) break;
      const type = buf[at]! >> 4;
      if (type === 1) socket.write(CONNACK);
      else if (type === 3) {
        // QoS 1 PUBLISH: topic length, topic, packet id, payload. Read the topic as a server must.
        const topicLength = buf.readUInt16BE(i);
        buf.toString('utf8', i + 2, i + 2 + topicLength);
        const id = buf.readUInt16BE(i + 2 + topicLength);
        socket.write(Buffer.from([0x40, 2, id >> 8, id & 0xff]));
      } else if (type === 12) socket.write(PINGRESP);
      at = i + length;
    }
    pending = at < buf.length ? buf.subarray(at) : undefined;
  });
  socket.on('error', () => socket.destroy());
}

async function aedesHandler(): Promise<(socket: Socket) => void> {
  const broker = await Aedes.createBroker({
    authenticate: (_client, _user, _pass, done) => done(null, true),
    authorizePublish: (_client, _packet, done) => done(null),
  });
  // As broker.ts does: a device's message goes nowhere while nobody subscribes.
  type Done = (err?: Error | null) => void;
  const internal = broker as unknown as { publish(packet: PublishPacket, client: Client | Done | null, done?: Done): void };
  const forward = internal.publish.bind(broker);
  internal.publish = (packet, client, done) => (client && typeof client !== 'function' ? done?.(null) : forward(packet, client, done));
  return (socket) => broker.handle(socket);
}

const [kind, portText] = process.argv.slice(2);
const handler = kind === 'bare' ? bareConnection : kind === 'aedes' ? await aedesHandler() : undefined;
if (!handler) throw new Error(`floor-server: kind must be bare or aedes, not ${String(kind)}`);
createServer({ noDelay: true }, handler).listen(Number(portText), '127.0.0.1');
