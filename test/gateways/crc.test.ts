import { describe, expect, it } from 'vitest';
import { crc16Arc, crc16Wialon, crc16X25 } from '../../gateways/common/crc.ts';
import { FrameBuffer } from '../../gateways/common/frame-buffer.ts';

const ascii = (s: string) => Buffer.from(s, 'latin1');

describe('CRC-16 variants', () => {
  it('match the catalogue check values for "123456789"', () => {
    expect(crc16Arc(ascii('123456789'))).toBe(0xbb3d);
    expect(crc16X25(ascii('123456789'))).toBe(0x906e);
  });

  it('CRC-16/IBM reproduces the Teltonika wiki Codec 8 example checksum (0xC7CF)', () => {
    const frame = Buffer.from('000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF', 'hex');
    expect(crc16Arc(frame, 8, 8 + 0x36)).toBe(0xc7cf);
  });

  it('the Wialon IPS 2.0 checksum reproduces real devices\' packets', () => {
    // From Traccar's WialonProtocolDecoderTest: the body after "#SD#" up to the last ";".
    expect(crc16Wialon(ascii('300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;'))).toBe(0x7a01);
    expect(crc16Wialon(ascii('220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;'))).toBe(0xe7c9);
  });

  it('X.25 reproduces the GT06 protocol document\'s login packet and reply checks', () => {
    // 78 78 0D 01 01 23 45 67 89 01 23 45 00 01 8C DD 0D 0A and its reply 78 78 05 01 00 01 D9 DC 0D 0A
    expect(crc16X25(Buffer.from('0D01012345678901234500 01'.replace(' ', ''), 'hex'))).toBe(0x8cdd);
    expect(crc16X25(Buffer.from('05010001', 'hex'))).toBe(0xd9dc);
  });
});

describe('FrameBuffer', () => {
  it('accumulates, consumes and refuses to grow past its bound', () => {
    const b = new FrameBuffer(10, 4);
    expect(b.push(Buffer.from([1, 2, 3]))).toBe(true);
    expect(b.push(Buffer.from([4, 5, 6, 7]))).toBe(true);
    expect([...b.view()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    b.consume(5);
    expect([...b.view()]).toEqual([6, 7]);
    expect(b.push(Buffer.alloc(8, 9))).toBe(true);
    expect(b.length).toBe(10);
    expect(b.push(Buffer.from([1]))).toBe(false);
    expect(b.length).toBe(10);
    expect(b.capacity).toBeLessThanOrEqual(10);
    b.consume(100);
    expect(b.length).toBe(0);
  });
});
