/**
 * The lab DNS server itself: zone answers (pure), loopback-only binding, UDP
 * and TCP on one port, and survival of garbage.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { answerFromZone, buildZone, startDnsServer, type LabZoneRecord } from '../../src/lab/dns-server.js';
import { TEST_TIMEOUT_MS, startLab } from './helpers.js';

const opts = { timeout: TEST_TIMEOUT_MS };

const RECORDS: readonly LabZoneRecord[] = [
  { name: 'example.test', type: 'MX', data: { preference: 10, exchange: 'mx.example.test' } },
  { name: 'mx.example.test', type: 'A', data: '127.0.0.1' },
  { name: 'www.example.test', type: 'CNAME', data: 'mx.example.test' },
  { name: 'loop1.example.test', type: 'CNAME', data: 'loop2.example.test' },
  { name: 'loop2.example.test', type: 'CNAME', data: 'loop1.example.test' },
  { name: 'deep.sub.parent.test', type: 'TXT', data: ['hello'] },
];

describe('lab zone answers', () => {
  const zone = buildZone(RECORDS);
  const cases = [
    { q: 'example.test', type: 'MX', rcode: 0, answers: ['MX example.test'] },
    { q: 'EXAMPLE.test.', type: 'MX', rcode: 0, answers: ['MX example.test'] },
    { q: 'example.test', type: 'A', rcode: 0, answers: [] },
    { q: 'parent.test', type: 'A', rcode: 0, answers: [], why: 'empty non-terminal: NODATA' },
    { q: 'sub.parent.test', type: 'TXT', rcode: 0, answers: [], why: 'empty non-terminal: NODATA' },
    { q: 'nothing.test', type: 'A', rcode: 3, answers: [] },
    { q: 'www.example.test', type: 'A', rcode: 0, answers: ['CNAME www.example.test', 'A mx.example.test'] },
    { q: 'www.example.test', type: 'CNAME', rcode: 0, answers: ['CNAME www.example.test'] },
    { q: 'loop1.example.test', type: 'A', rcode: 0, answers: ['CNAME loop1.example.test', 'CNAME loop2.example.test'] },
  ];
  for (const c of cases) {
    it(`${c.q} ${c.type} → rcode ${c.rcode}, ${c.answers.length} records${c.why ? ` (${c.why})` : ''}`, () => {
      const answer = answerFromZone(zone, c.q, c.type);
      assert.equal(answer.rcode, c.rcode);
      assert.deepEqual(answer.answers.map((r) => `${r.type} ${r.name}`), c.answers);
    });
  }

  it('answers with the CNAME alone when not chasing', () => {
    const answer = answerFromZone(zone, 'www.example.test', 'A', false);
    assert.deepEqual(answer.answers.map((r) => r.type), ['CNAME']);
  });

  it('refuses a record dns-packet cannot encode', () => {
    assert.throws(() => buildZone([{ name: 'bad.test', type: 'A', data: 'not-an-address' }]), /cannot encode A record for bad.test/);
  });
});

describe('lab DNS server', () => {
  it('refuses to listen anywhere but loopback', opts, async () => {
    for (const host of ['0.0.0.0', '192.0.2.1', '::']) {
      await assert.rejects(startDnsServer({ host, records: [] }), /not a loopback address/);
    }
  });

  it('serves UDP and TCP on the same port, with AA set', opts, async (t) => {
    const server = await startLab(t, RECORDS);
    const query = dnsPacket.encode({ type: 'query', id: 4242, questions: [{ type: 'A', name: 'mx.example.test' }] });

    const overUdp = dnsPacket.decode(await udpExchange(server.port, query));
    const overTcp = dnsPacket.decode(await tcpExchange(server.port, query));

    for (const answer of [overUdp, overTcp]) {
      assert.equal(answer.id, 4242);
      assert.equal(answer.flag_aa, true);
      assert.deepEqual(answer.answers?.map((r) => ('data' in r ? r.data : undefined)), ['127.0.0.1']);
    }
    assert.equal(server.queries, 2);
  });

  it('ignores garbage over UDP and TCP, keeps serving, and does not count it', opts, async (t) => {
    // Given a running lab server
    const server = await startLab(t, RECORDS);
    // When it receives junk: random bytes, an empty datagram, a response instead of a query, a frame cut short
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'x.test' }] });
    for (const junk of [Buffer.from('not dns at all'), Buffer.alloc(0), Buffer.alloc(12), response]) {
      await udpSend(server.port, junk);
    }
    await tcpSendAndClose(server.port, Buffer.from([0x00, 0x40, 1, 2, 3]));
    // Then a real query still gets its answer, and only it was counted
    const query = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'MX', name: 'example.test' }] });
    const answer = dnsPacket.decode(await udpExchange(server.port, query));
    assert.equal(answer.answers?.length, 1);
    assert.equal(server.queries, 1);
  });

  it('closes twice without complaint and frees the port', opts, async () => {
    const server = await startDnsServer({ records: RECORDS });
    await server.close();
    await server.close();
    const again = await startDnsServer({ records: RECORDS, port: server.port });
    await again.close();
  });
});

/** Send one datagram to the lab and wait (bounded) for one back. */
function udpExchange(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP answer within 1 s'));
    }, 1_000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(message, port, '127.0.0.1');
  });
}

function udpSend(port: number, message: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.send(message, port, '127.0.0.1', () => {
      socket.close();
      resolve();
    });
  });
}

/** One length-prefixed query over TCP; resolves with the first answer frame (bounded). */
function tcpExchange(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no TCP answer within 1 s'));
    }, 1_000);
    let buffered = Buffer.alloc(0);
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([prefix, message]));
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function tcpSendAndClose(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(bytes));
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}
