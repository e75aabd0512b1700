import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../../src/model/errors.js';
import { PROBE_STATUSES, type Phase, type ProbeStatus } from '../../../src/model/probe.js';
import { statusFor } from '../../../src/checks/starttls/probe.js';
import { connectFailure } from '../../../src/net/connect.js';

describe('statusFor', () => {
  const cases: ReadonlyArray<[code: string, phase: Phase, status: ProbeStatus]> = [
    ['connect-refused', 'connect', 'connection-refused'],
    ['connect-unreachable', 'connect', 'connection-refused'],
    ['connect-error', 'connect', 'connection-refused'],
    ['connect-timeout', 'connect', 'connection-timeout'],
    ['connection-closed', 'greeting', 'connection-closed'],
    ['connection-reset', 'ehlo', 'connection-closed'],
    ['connection-closed', 'starttls', 'connection-closed'],
    ['connection-closed', 'ehlo-after-tls', 'smtp-rejected'],
    ['connection-reset', 'ehlo-after-tls', 'smtp-rejected'],
    ['greeting-timeout', 'greeting', 'timeout'],
    ['command-timeout', 'ehlo', 'timeout'],
    ['command-timeout', 'ehlo-after-tls', 'timeout'],
    ['probe-timeout', 'greeting', 'timeout'],
    ['tls-timeout', 'tls', 'timeout'],
    ['greeting-rejected', 'greeting', 'smtp-rejected'],
    ['ehlo-rejected', 'ehlo', 'smtp-rejected'],
    ['ehlo-after-tls-rejected', 'ehlo-after-tls', 'smtp-rejected'],
    ['starttls-not-offered', 'ehlo', 'no-starttls'],
    ['starttls-rejected', 'starttls', 'starttls-rejected'],
    ['reply-malformed', 'greeting', 'protocol-error'],
    ['reply-too-long', 'ehlo', 'protocol-error'],
    ['tls-handshake-failed', 'tls', 'tls-failed'],
    ['tls-version-unsupported', 'tls', 'tls-failed'],
    ['private-address', 'guard', 'refused-private'],
    ['internal-error', 'internal', 'internal-error'],
    ['no-such-code', 'internal', 'internal-error'],
  ];
  for (const [code, phase, status] of cases) {
    it(`${code} in ${phase} → ${status}`, () => {
      assert.equal(statusFor(code, phase), status);
    });
  }

  it('uses only catalogued codes and documented statuses', () => {
    for (const [code, , status] of cases.slice(0, -1)) {
      assert.ok(code in ERROR_CODES, code);
      assert.ok(PROBE_STATUSES.includes(status), status);
    }
  });
});

describe('connectFailure', () => {
  const cases: ReadonlyArray<[errno: string, code: string]> = [
    ['ECONNREFUSED', 'connect-refused'],
    ['EHOSTUNREACH', 'connect-unreachable'],
    ['ENETUNREACH', 'connect-unreachable'],
    ['ETIMEDOUT', 'connect-timeout'],
    ['EADDRNOTAVAIL', 'connect-error'],
  ];
  for (const [errno, code] of cases) {
    it(`maps ${errno} to ${code}`, () => {
      // Given a socket error while connecting, When mapped, Then it has its code, the connect phase and its cause
      const cause = Object.assign(new Error(`connect ${errno} 192.0.2.1:25`), { code: errno });
      const error = connectFailure(cause, '192.0.2.1', 25);
      assert.equal(error.code, code);
      assert.equal(error.phase, 'connect');
      assert.match(error.message, /192\.0\.2\.1:25/);
    });
  }
});
