/**
 * The bare Node client of bench:peers: what the runtime itself needs for a probe,
 * and no more. Per endpoint it connects, reads the greeting, sends EHLO, then
 * STARTTLS, does the handshake with one shared secure context, calls
 * getPeerCertificate(true), sends EHLO again and QUIT, and closes. No deadlines, no
 * parsing beyond finding a reply's last line, no report.
 *
 *   node bare-client.mjs FLEET_FILE CONCURRENCY socket|duplex CA_FILE
 *
 * `duplex` runs TLS over a pass-through Duplex around the socket instead of the
 * socket itself (the cost of a JavaScript stream under TLS). Prints one JSON line:
 * {probes, ok}.
 */
import { connect as connectTcp } from 'node:net';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { connect as connectTls, createSecureContext } from 'node:tls';

const [fleetFile, concurrencyText, mode, caFile] = process.argv.slice(2);
const endpoints = readFileSync(fleetFile, 'utf8').trim().split('\n').map((line) => {
  const [target] = line.split(' ');
  const colon = target.lastIndexOf(':');
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
});
const secureContext = createSecureContext({ ca: readFileSync(caFile, 'utf8'), minVersion: 'TLSv1.2' });

/** Resolves with the text of one whole reply (up to its last line, "ddd text\r\n"). */
function reply(stream) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk.toString('latin1');
      if (/(^|\n)\d{3} [^\n]*\r?\n$/.test(text)) {
        stream.off('data', onData);
        stream.off('error', reject);
        resolve(text);
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/** A pass-through Duplex over the socket: TLS then runs over a JavaScript stream. */
class PassThrough extends Duplex {
  constructor(socket) {
    super();
    this.socket = socket;
    socket.on('data', (chunk) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
  }
  _read() {
    this.socket.resume();
  }
  _write(chunk, encoding, callback) {
    this.socket.write(chunk, encoding, callback);
  }
  _final(callback) {
    this.socket.end();
    callback();
  }
  _destroy(error, callback) {
    this.socket.destroy();
    callback(error);
  }
}

async function probe({ host, port }) {
  const socket = connectTcp({ host, port });
  // Listening for the greeting from the start: it may come in the same turn as the connection.
  await reply(socket);
  socket.write('EHLO bare.invalid\r\n');
  await reply(socket);
  socket.write('STARTTLS\r\n');
  await reply(socket);
  const tls = connectTls({ socket: mode === 'duplex' ? new PassThrough(socket) : socket, secureContext, rejectUnauthorized: false });
  await new Promise((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
  tls.getPeerCertificate(true);
  tls.write('EHLO bare.invalid\r\n');
  await reply(tls);
  tls.end('QUIT\r\n');
  tls.destroySoon();
  return true;
}

let next = 0;
let ok = 0;
async function worker() {
  while (next < endpoints.length) {
    const endpoint = endpoints[next];
    next += 1;
    try {
      if (await probe(endpoint)) ok += 1;
    } catch {
      // counted as not ok
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, Number(concurrencyText)) }, worker));
console.log(JSON.stringify({ probes: endpoints.length, ok }));
