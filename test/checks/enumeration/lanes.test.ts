/**
 * SessionLanes, the enumeration's sessions over two lanes, against fake
 * sessions whose readiness and handshakes the test settles: when the next
 * session opens, and that nothing is opened for nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionLanes } from '../../../src/checks/enumeration/enumerate.js';
import type { PreparedSession } from '../../../src/checks/enumeration/session.js';
import type { HandshakeOffer, HandshakeOutcome } from '../../../src/checks/enumeration/types.js';

interface Fake extends PreparedSession {
  readonly index: number;
  ready_(ok: boolean): void;
  done(): void;
  discarded: boolean;
}

const OFFER: HandshakeOffer = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', suites: [], groups: [], purpose: 'suites' };
const ACCEPTED: HandshakeOutcome = { kind: 'accepted', protocol: 'TLSv1.3', suite: 'TLS_AES_128_GCM_SHA256', name: 'TLS_AES_128_GCM_SHA256', group: 'X25519', dhBits: null };

function fakes() {
  const opened: Fake[] = [];
  const open = (): PreparedSession => {
    let ready!: (ok: boolean) => void;
    let done!: () => void;
    const readyP = new Promise<boolean>((resolve) => (ready = resolve));
    const doneP = new Promise<void>((resolve) => (done = resolve));
    const fake: Fake = {
      index: opened.length,
      ready: readyP,
      ready_: ready,
      done,
      discarded: false,
      handshake: async () => {
        if (!(await readyP)) return { kind: 'stopped', error: { phase: 'connect', code: 'connect-refused', message: 'refused' } };
        await doneP;
        return ACCEPTED;
      },
      discard: async () => {
        fake.discarded = true;
      },
    };
    opened.push(fake);
    return fake;
  };
  return { opened, open };
}

/** Lets promise callbacks run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SessionLanes', () => {
  it('Given a second lane Then the next session opens once the first reached its offer, and from then on with each handshake, before it ends', async () => {
    const { opened, open } = fakes();
    let taken = 0;
    let released = 0;
    const lanes = new SessionLanes(open, () => {
      taken += 1;
      return () => (released += 1);
    });
    // The first handshake: its session is opened; the next waits until the server took this one.
    const first = lanes.run(OFFER, { more: true });
    await turn();
    assert.equal(opened.length, 1);
    opened[0]?.ready_(true);
    await turn();
    assert.equal(opened.length, 2, 'opened once the first session reached its offer');
    opened[0]?.done();
    assert.deepEqual(await first, ACCEPTED);
    // From the second on: the session after it opens with the handshake, while its own is still in its dialogue.
    const second = lanes.run(OFFER, { more: true });
    assert.equal(opened.length, 3, 'opened with the handshake, not after it');
    opened[1]?.ready_(true);
    opened[1]?.done();
    await second;
    // The last: nothing more is opened.
    const third = lanes.run(OFFER, { more: false });
    assert.equal(opened.length, 3);
    opened[2]?.ready_(true);
    opened[2]?.done();
    await third;
    await lanes.close();
    assert.equal(opened.length, 3, 'one session per handshake');
    assert.ok(opened.every((s) => !s.discarded));
    assert.deepEqual([taken, released], [1, 1]);
  });

  it('Given the first session refused Then no other is opened for it, and the lane is never taken', async () => {
    const { opened, open } = fakes();
    let taken = 0;
    const lanes = new SessionLanes(open, () => {
      taken += 1;
      return () => undefined;
    });
    const first = lanes.run(OFFER, { more: true });
    opened[0]?.ready_(false);
    assert.equal((await first).kind, 'stopped');
    await turn();
    await lanes.close();
    assert.equal(opened.length, 1);
    assert.equal(taken, 0);
  });

  it('Given no lane free Then one session at a time', async () => {
    const { opened, open } = fakes();
    const lanes = new SessionLanes(open, () => null);
    const first = lanes.run(OFFER, { more: true });
    opened[0]?.ready_(true);
    opened[0]?.done();
    await first;
    const second = lanes.run(OFFER, { more: true });
    assert.equal(opened.length, 2, 'the second handshake opened its own session, nothing ahead');
    opened[1]?.ready_(true);
    opened[1]?.done();
    await second;
    await lanes.close();
    assert.equal(opened.length, 2);
  });

  it('Given the enumeration stops with a session prepared Then close discards it and gives the lane back', async () => {
    const { opened, open } = fakes();
    let released = 0;
    const lanes = new SessionLanes(open, () => () => (released += 1));
    const first = lanes.run(OFFER, { more: true });
    opened[0]?.ready_(true);
    await turn();
    opened[0]?.done();
    await first;
    assert.equal(opened.length, 2);
    await lanes.close();
    assert.equal(opened[1]?.discarded, true);
    assert.equal(released, 1);
  });
});
