/**
 * End-to-end: the built CLI as a child process against the embedded lab on
 * loopback (its DNS server and SMTP servers), checking exit codes and JSON.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from '../../src/lab/certs.js';
import { startDemoLab, type DemoLab } from '../../src/lab/demo.js';
import { startSmtpServer } from '../../src/lab/smtp-server.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { contractViolations } from '../helpers/contract.js';

let lab: DemoLab;
let dir: string;
let labArgs: string[];

before(async () => {
  lab = await startDemoLab();
  dir = mkdtempSync(join(tmpdir(), 'mxready-cli-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, lab.caPem);
  labArgs = ['--resolver', `${lab.lab.dns.host}:${lab.lab.dns.port}`, '--port', String(lab.lab.port), '--ca-file', caFile, '--allow-private',
    '--timeout', '10000', '--dns-timeout', '1000'];
});

after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const d = (label: string) => `${label}.mxready.test`;

async function scanJson(targets: string[], extra: string[] = []): Promise<{ code: number | null; report: Report; stderr: string }> {
  const run = await runCli([...targets, ...labArgs, '--format', 'json', ...extra]);
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    assert.fail(`stdout is not JSON (exit ${run.code}): ${run.stdout.slice(0, 400)} / stderr: ${run.stderr}`);
  }
  return { code: run.code, report, stderr: run.stderr };
}

function target(report: Report, domain: string): TargetReport {
  const t = report.targets.find((x) => x.domain === domain);
  assert.ok(t, `no target ${domain}`);
  return t;
}

function findingIds(t: TargetReport): string[] {
  return [...new Set(t.findings.map((f) => f.id))].sort();
}

describe('mxready scan against the lab', () => {
  let report: Report;
  let code: number | null;

  before(async () => {
    const all = [
      'modern', 'tls12', 'legacy', 'lenient', 'plaintext', 'busy', 'selfsigned', 'expired', 'wrongname', 'clientcert', 'backup', 'nomx', 'nullmx', 'missing',
    ].map(d);
    ({ report, code } = await scanJson(all));
  });

  it('Given every lab domain When scanned Then the JSON meets the contract in DESIGN.md', () => {
    assert.deepEqual(contractViolations(report), []);
    assert.equal(report.targets.length, 14);
  });

  it('Then the exit code is 1 (gaps exist)', () => {
    assert.equal(code, 1);
  });

  const expectations: [string, string, boolean | null, string[], string[]][] = [
    // domain, status, deliverable, probe statuses, finding ids
    ['modern', 'pass', true, ['ok'], []],
    ['tls12', 'pass', true, ['ok'], ['tls.no-tls13']],
    ['legacy', 'fail', false, ['ok'], ['tls.legacy-protocol.accepted', 'tls.version.below-minimum']],
    ['lenient', 'pass', true, ['ok'], []],
    ['plaintext', 'fail', false, ['no-starttls'], ['starttls.missing']],
    ['busy', 'fail', false, ['starttls-rejected'], ['starttls.rejected']],
    ['selfsigned', 'pass', true, ['ok'], ['cert.untrusted']],
    ['expired', 'pass', true, ['ok'], ['cert.expired']],
    ['wrongname', 'pass', true, ['ok'], ['cert.hostname-mismatch']],
    ['clientcert', 'fail', false, ['smtp-rejected'], ['smtp.rejected-after-tls']],
    ['backup', 'fail', true, ['ok', 'no-starttls'], ['starttls.missing']],
    ['nomx', 'pass', true, ['ok'], ['dns.implicit-mx']],
    ['nullmx', 'pass', null, [], ['dns.null-mx']],
    ['missing', 'error', null, [], ['dns.nxdomain']],
  ];
  for (const [label, status, deliverable, probeStatuses, ids] of expectations) {
    it(`Then ${d(label)} is ${status}, deliverable ${deliverable}, probes ${probeStatuses.join('/') || 'none'}, findings ${ids.join(', ') || 'none'}`, () => {
      const t = target(report, d(label));
      assert.equal(t.status, status);
      assert.equal(t.deliverable, deliverable);
      assert.deepEqual(t.mx.flatMap((m) => m.addresses.map((a) => a.probe.status)), probeStatuses);
      assert.deepEqual(findingIds(t), ids.sort());
    });
  }

  it('Then the TLS 1.3 host reports its protocol, cipher, pinned group and a trusted, matching certificate', () => {
    const probe = target(report, d('modern')).mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.tls?.protocol, 'TLSv1.3');
    assert.match(probe?.tls?.cipher.standardName ?? '', /^TLS_(AES|CHACHA20)_/);
    assert.deepEqual(probe?.tls?.keyExchange, { type: 'ECDH', group: 'X25519', bits: 253 });
    assert.equal(probe?.certificate?.trusted, true);
    assert.equal(probe?.certificate?.hostnameMatch, true);
    assert.equal(probe?.certificate?.subject, 'CN=mx.modern.mxready.test');
    assert.equal(probe?.certificate?.issuer, 'CN=mxready demo CA');
    assert.ok((probe?.extensionsAfterTls ?? []).length > 0);
    assert.ok(probe?.extensions.includes('STARTTLS'));
  });

  it('Then the TLS 1.2-only host reports an ECDHE suite by its OpenSSL and IANA names and RSA 2048', () => {
    const probe = target(report, d('tls12')).mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.tls?.protocol, 'TLSv1.2');
    assert.match(probe?.tls?.cipher.name ?? '', /^ECDHE-RSA-/);
    assert.match(probe?.tls?.cipher.standardName ?? '', /^TLS_ECDHE_RSA_WITH_/);
    assert.equal(probe?.tls?.keyExchange.group, 'P-256');
    assert.equal(probe?.certificate?.keyType, 'rsa');
    assert.equal(probe?.certificate?.keyBits, 2048);
  });

  it('Then the TLS 1.0-only host keeps the legacy check\'s session: ok, TLSv1, its certificate and cipher, below the minimum', () => {
    const legacy = target(report, d('legacy'));
    const probe = legacy.mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'ok');
    assert.equal(probe?.legacyCheck, 'negotiated');
    assert.equal(probe?.tls?.protocol, 'TLSv1');
    assert.match(probe?.tls?.cipher.standardName ?? '', /^TLS_ECDHE_RSA_WITH_/);
    assert.equal(probe?.certificate?.subject, 'CN=mx.legacy.mxready.test');
    assert.ok((probe?.extensionsAfterTls ?? []).length > 0);
    assert.equal(legacy.status, 'fail');
    assert.equal(legacy.mx[0]?.addresses[0]?.assessment.protocol, 'gap');
    assert.ok(findingIds(legacy).includes('tls.version.below-minimum'));
  });

  it('Then the implicit-MX domain shares the modern host\'s probe but matches its own name', () => {
    const nomx = target(report, d('nomx'));
    assert.equal(nomx.dns.mxSource, 'implicit');
    assert.equal(nomx.mx[0]?.host, d('nomx'));
    assert.equal(nomx.mx[0]?.addresses[0]?.probe.certificate?.hostnameMatch, true);
    assert.equal(nomx.mx[0]?.addresses[0]?.probe.sni, 'mx.modern.mxready.test');
  });

  it('Then MX hosts are sorted by preference', () => {
    assert.deepEqual(target(report, d('backup')).mx.map((m) => m.preference), [10, 20]);
  });

  it('Then NXDOMAIN is an error with dns.error.code nxdomain', () => {
    const t = target(report, d('missing'));
    assert.equal(t.dns.mxSource, 'none');
    assert.equal(t.dns.error?.code, 'nxdomain');
    assert.equal(t.error?.code, 'nxdomain');
  });

  it('Then the 421 inside TLS keeps the TLS facts gathered before it', () => {
    const probe = target(report, d('clientcert')).mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.error?.phase, 'ehlo-after-tls');
    assert.equal(probe?.tls?.protocol, 'TLSv1.3');
    assert.equal(probe?.error?.reply?.code, 421);
  });

  it('Then findings carry TLS-RPT result types where one applies', () => {
    const f = target(report, d('plaintext')).findings.find((x) => x.id === 'starttls.missing');
    assert.equal(f?.resultType, 'starttls-not-supported');
    const m = target(report, d('wrongname')).findings.find((x) => x.id === 'cert.hostname-mismatch');
    assert.equal(m?.resultType, 'certificate-host-mismatch');
  });

  it('Then the summary counts each unique address once', () => {
    // 10 SMTP hosts; the implicit MX and the backup domain reuse two of them.
    assert.equal(report.summary.probes, 10);
    assert.equal(report.summary.targets, 14);
    assert.equal(report.summary.pass + report.summary.fail + report.summary.error, 14);
  });
});

describe('exit codes', () => {
  it('Given a passing domain Then 0', async () => {
    assert.equal((await runCli([d('modern'), ...labArgs])).code, 0);
  });
  it('Given a failing domain Then 1', async () => {
    assert.equal((await runCli([d('plaintext'), ...labArgs])).code, 1);
  });
  it('Given an unresolvable domain Then 3', async () => {
    assert.equal((await runCli([d('missing'), ...labArgs])).code, 3);
  });
  const usage: [string, string[], RegExp][] = [
    ['an unknown flag', [d('modern'), '--bogus'], /unknown option "--bogus"/],
    ['a bad format', [d('modern'), '--format', 'xml'], /xml/],
    ['a bad port', [d('modern'), '--port', '99999'], /--port must be between 1 and 65535/],
    ['a bad target', ['exa mple.com'], /invalid domain "exa mple.com"/],
    ['no target', ['scan'], /no targets given/],
    ['a bad policy', [d('modern'), '--policy', 'nope'], /unknown policy "nope"/],
    ['a bad --min-tls', [d('modern'), '--min-tls', '2.0'], /invalid TLS version "2.0"/],
    ['a bad resolver', [d('modern'), '--resolver', 'dns.example'], /invalid resolver "dns.example"/],
    ['a missing CA file', [d('modern'), '--ca-file', '/nonexistent/ca.pem'], /cannot read --ca-file "\/nonexistent\/ca\.pem": no such file/],
    ['a missing targets file', ['-f', '/nonexistent/list'], /cannot read "\/nonexistent\/list": no such file/],
  ];
  for (const [name, args, message] of usage) {
    it(`Given ${name} Then 2, one line on stderr, nothing on stdout`, async () => {
      // A loopback resolver that answers nothing: should validation ever let one through, no query leaves the machine.
      const run = await runCli([...args, '--resolver', '127.0.0.1:9', '--dns-timeout', '100']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.equal(run.stdout, '');
    });
  }
  it('Given --help Then 0 and the exit codes are documented', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Exit codes:/);
    assert.match(run.stdout, /3 +no gap found, but some target could not be assessed/);
    assert.match(run.stdout, /--resolver <ip\[:port\]>/, 'the scan options are in the top-level help');
  });
});

describe('inputs and outputs', () => {
  it('Given a targets file with comments and a duplicate Then each target is scanned once', async () => {
    const file = join(dir, 'targets.txt');
    writeFileSync(file, `# lab\n${d('modern')}\n\npostmaster@${d('modern')}  # same domain\n${d('tls12')}\n`);
    const { code, report } = await scanJson([], ['-f', file]);
    assert.equal(code, 0);
    assert.deepEqual(report.targets.map((t) => t.input), [d('modern'), d('tls12')]);
  });

  it('Given targets on stdin Then they are read', async () => {
    const run = await runCli(['-f', '-', ...labArgs, '--format', 'json'], { input: `${d('tls12')}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Report).targets[0]?.domain, d('tls12'));
  });

  it('Given a bad line in a targets file Then exit 2 naming the file and line', async () => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, `${d('modern')}\nnot a domain\n`);
    const run = await runCli(['-f', file, ...labArgs]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /bad\.txt":2: invalid domain "not a domain"/);
  });

  it('Given --json PATH Then the file holds the report, and `report PATH` re-renders it with the same exit code', async () => {
    const path = join(dir, 'saved.json');
    const scanRun = await runCli([d('plaintext'), d('modern'), ...labArgs, '--json', path]);
    assert.equal(scanRun.code, 1);
    assert.match(scanRun.stdout, /starttls\.missing/);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Report;
    assert.deepEqual(contractViolations(saved), []);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left behind');
    const table = await runCli(['report', path]);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /starttls\.missing/);
    const json = await runCli(['report', path, '--format', 'json']);
    assert.deepEqual(JSON.parse(json.stdout), saved);
  });

  /** A saved report (from the test above) with one thing broken. */
  const broken = (edit: (report: Record<string, unknown> & { targets: Record<string, unknown>[] }) => void): string => {
    const report = JSON.parse(readFileSync(join(dir, 'saved.json'), 'utf8')) as Record<string, unknown> & { targets: Record<string, unknown>[] };
    edit(report);
    return JSON.stringify(report);
  };
  const badReports: [string, () => string, RegExp][] = [
    ['not a report', () => '{"hello": 1}', /unsupported schemaVersion undefined \(this mxready reads 1 and 2\)/],
    ['not JSON', () => '{"schemaVersion": 2,', /not valid JSON/],
    ['a target without mx', () => broken((r) => delete r.targets[0]?.['mx']), /not a valid mxready report \(schemaVersion 2\): targets\[0\] must have required property 'mx'/],
    ['an empty summary', () => broken((r) => (r['summary'] = {})), /not a valid mxready report \(schemaVersion 2\): summary must have required property '\w+' \(and \d+ more\)/],
    ['a status outside the list', () => broken((r) => (r.targets[0] = { ...r.targets[0], status: 'maybe' })), /targets\[0\]\.status must be equal to one of the allowed values \(pass, fail, error\)/],
  ];
  for (const [name, content, message] of badReports) {
    for (const format of ['table', 'json']) {
      it(`Given ${name} When re-rendered as ${format} Then \`report\` exits 2 with one line naming the problem`, async () => {
        const path = join(dir, 'junk.json');
        writeFileSync(path, content());
        const run = await runCli(['report', path, '--format', format]);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, message);
        assert.equal(run.stderr.trim().split('\n').length, 1);
        assert.equal(run.stdout, '');
      });
    }
  }

  it('Given --json into a missing folder Then exit 2 before any scan, naming the path', async () => {
    const before = lab.lab.smtp.reduce((n, s) => n + s.sessions, 0);
    const run = await runCli([d('modern'), ...labArgs, '--json', join(dir, 'no-such-folder', 'r.json')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot write .*no-such-folder\/r\.json": no such file/);
    assert.equal(lab.lab.smtp.reduce((n, s) => n + s.sessions, 0), before, 'nothing was scanned');
  });

  it('Given the table on a pipe Then there is no colour and the finding ids show', async () => {
    const run = await runCli([d('legacy'), ...labArgs]);
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.stdout, /\u001b\[/);
    assert.match(run.stdout, /tls\.version\.below-minimum/);
    assert.match(run.stdout, /TLSv1 only/);
  });

  it('Given a relay as IP:port Then it is probed as given, without SNI or MX lookup', async () => {
    const { code, report } = await scanJson([`127.0.0.2:${lab.lab.port}`]);
    const t = report.targets[0];
    assert.equal(t?.kind, 'host');
    assert.equal(t?.mx[0]?.addresses[0]?.probe.status, 'ok');
    assert.equal(t?.mx[0]?.addresses[0]?.probe.sni, null);
    // The certificate names the MX host, not the IP: a warning under encrypt.
    assert.equal(code, 0);
  });

  it('Given the verify policy Then a self-signed host fails', async () => {
    const { code, report } = await scanJson([d('selfsigned')], ['--policy', 'verify']);
    assert.equal(code, 1);
    assert.equal(report.policy.name, 'verify');
    assert.equal(target(report, d('selfsigned')).findings.find((f) => f.id === 'cert.untrusted')?.severity, 'fail');
  });

  it('Given --min-tls 1.0 Then the TLS 1.0 host passes the encrypt policy', async () => {
    const { code, report } = await scanJson([d('legacy')], ['--min-tls', '1.0']);
    assert.equal(code, 0);
    assert.equal(target(report, d('legacy')).mx[0]?.addresses[0]?.probe.tls?.protocol, 'TLSv1');
  });
});

describe('address guard', () => {
  it('Given lab answers on loopback without --allow-private Then nothing is dialled and the target cannot be assessed', async () => {
    const before = lab.lab.smtp.reduce((n, s) => n + s.sessions, 0);
    const args = labArgs.filter((a) => a !== '--allow-private');
    const run = await runCli([d('modern'), ...args, '--format', 'json']);
    assert.equal(run.code, 3);
    const report = JSON.parse(run.stdout) as Report;
    const probe = report.targets[0]?.mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'refused-private');
    assert.equal(report.targets[0]?.findings[0]?.id, 'address.private');
    assert.equal(lab.lab.smtp.reduce((n, s) => n + s.sessions, 0), before);
  });
});

describe('trust is judged at the default security level', () => {
  it('Given --min-tls 1.0 When a host speaks TLS 1.3 Then its facts equal a scan at the default minimum', async () => {
    const strip = (r: Report) => {
      const probe = r.targets[0]?.mx[0]?.addresses[0]?.probe;
      return { tls: probe?.tls?.protocol, trusted: probe?.certificate?.trusted, error: probe?.certificate?.validationError };
    };
    const low = await scanJson([d('selfsigned')], ['--min-tls', '1.0']);
    const normal = await scanJson([d('selfsigned')]);
    assert.deepEqual(strip(low.report), strip(normal.report));
    assert.equal(strip(low.report).tls, 'TLSv1.3');
  });
});

describe('what is sent', () => {
  const server = (ip: string) => {
    const found = lab.lab.smtp.find((s) => s.host === ip);
    assert.ok(found, `no lab server on ${ip}`);
    return found;
  };

  it('Given --helo When a host is probed Then it sees exactly EHLO, STARTTLS, EHLO, QUIT with that name, never MAIL FROM', async () => {
    const modern = server('127.0.0.2');
    const before = modern.commands.length;
    const run = await runCli([d('modern'), ...labArgs, '--helo', 'probe.example.org']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(modern.commands.slice(before), ['EHLO probe.example.org', 'STARTTLS', 'EHLO probe.example.org', 'QUIT']);
  });

  it('Given every lab scan so far Then no server ever received MAIL, RCPT or DATA', () => {
    const sent = lab.lab.smtp.flatMap((s) => s.commands);
    assert.ok(sent.length > 0);
    assert.deepEqual(sent.filter((line) => /^(MAIL|RCPT|DATA)\b/i.test(line)), []);
  });

  it('Given --no-legacy-check When the TLS 1.0 host fails Then one session is made and no old version is named', async () => {
    const legacy = server('127.0.0.4');
    const before = legacy.sessions;
    const { code, report } = await scanJson([d('legacy')], ['--no-legacy-check']);
    assert.equal(code, 1);
    const probe = target(report, d('legacy')).mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'tls-failed');
    assert.equal(probe?.legacyCheck, undefined);
    assert.equal(probe?.tls, undefined);
    assert.deepEqual(findingIds(target(report, d('legacy'))), ['tls.handshake.failed']);
    assert.equal(report.depth.legacyCheck, false);
    assert.equal(legacy.sessions - before, 1);
    // Under --min-tls 1.0 the question it leaves open is not measured, never guessed
    const low = await scanJson([d('legacy')], ['--no-legacy-check', '--min-tls', '1.0']);
    assert.equal(low.code, 3);
    assert.deepEqual(findingIds(target(low.report, d('legacy'))), ['policy.not-measured']);
  });
});

describe('policies', () => {
  it('Given strict When a host negotiates TLS 1.3 but still accepts TLS 1.0 Then it fails; encrypt passes it', async () => {
    const lenient = d('lenient');
    const strict = await scanJson([lenient, d('modern')], ['--policy', 'strict']);
    assert.equal(strict.code, 1);
    const probe = target(strict.report, lenient).mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.tls?.protocol, 'TLSv1.3');
    assert.equal(probe?.legacyAccepted, 'TLSv1.1', 'offered TLS 1.0 and 1.1 only, the server picks the higher');
    assert.equal(target(strict.report, lenient).findings.find((f) => f.id === 'tls.legacy-protocol.accepted')?.severity, 'fail');
    assert.equal(target(strict.report, d('modern')).status, 'pass');
    assert.equal(target(strict.report, d('modern')).mx[0]?.addresses[0]?.probe.legacyAccepted, null);
    const encrypt = await scanJson([lenient]);
    assert.equal(encrypt.code, 0);
    assert.equal(target(encrypt.report, lenient).mx[0]?.addresses[0]?.probe.legacyAccepted, undefined, 'not checked without the policy asking');
  });

  it('Given a policy file When scanning Then its knobs and overrides apply and the report names it', async () => {
    const path = join(dir, 'policy.json');
    writeFileSync(path, JSON.stringify({ extends: 'encrypt', minTlsVersion: 'TLSv1.3', findings: { 'dns.nxdomain': 'info' } }));
    const { code, report } = await scanJson([d('tls12'), d('modern')], ['--policy', path]);
    assert.equal(code, 1);
    assert.equal(report.policy.name, `file:${path}`);
    assert.equal(report.policy.minTlsVersion, 'TLSv1.3');
    assert.equal(target(report, d('tls12')).status, 'fail');
    assert.equal(target(report, d('modern')).status, 'pass');
  });

  it('Given a bad policy file Then exit 2 with one line naming the key', async () => {
    const path = join(dir, 'bad-policy.json');
    writeFileSync(path, JSON.stringify({ extends: 'verify', minRsaBits: 'lots' }));
    const run = await runCli([d('modern'), ...labArgs, '--policy', path]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /"minRsaBits" is "lots"; expected a whole number from 0 to 16384/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });

  it('Given `policy show strict` Then the effective policy is printed as JSON', async () => {
    const run = await runCli(['policy', 'show', 'strict', '--min-tls', '1.3']);
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(shown['name'], 'strict');
    assert.equal(shown['minTlsVersion'], 'TLSv1.3');
    assert.equal(shown['forbidLegacyProtocols'], true);
    assert.deepEqual(shown['allowedCipherClasses'], ['good']);
  });

  it('Given --fail-on warn When a host passes with a warning Then exit 1', async () => {
    assert.equal((await runCli([d('selfsigned'), ...labArgs])).code, 0);
    assert.equal((await runCli([d('selfsigned'), ...labArgs, '--fail-on', 'warn'])).code, 1);
  });

  it('Given --expiry-warn 120 Then a certificate valid for 90 days warns', async () => {
    const { report } = await scanJson([d('modern')], ['--expiry-warn', '120']);
    assert.equal(report.policy.expiryWarnDays, 120);
    assert.ok(target(report, d('modern')).findings.some((f) => f.id === 'cert.expiring-soon'));
  });
});

describe('implicit TLS', () => {
  it('Given a relay that speaks TLS from the first byte When scanned with --implicit-tls Then it is ok with tlsMode implicit', async () => {
    const ca = await createCa({ commonName: 'implicit CA' });
    const cert = await ca.issue({ commonName: 'submissions.mxready.test', dnsNames: ['submissions.mxready.test'] });
    const server = await startSmtpServer({ hostname: 'submissions.mxready.test', starttls: false, implicitTls: true, tls: { key: cert.keyPem, cert: cert.chainPem } });
    try {
      const caFile = join(dir, 'implicit-ca.pem');
      writeFileSync(caFile, ca.certPem);
      const run = await runCli([`127.0.0.1:${server.port}`, '--implicit-tls', '--ca-file', caFile, '--format', 'json', '--resolver', '127.0.0.1:9']);
      const report = JSON.parse(run.stdout) as Report;
      const probe = report.targets[0]?.mx[0]?.addresses[0]?.probe;
      assert.equal(probe?.status, 'ok', JSON.stringify(probe?.error));
      assert.equal(probe?.tlsMode, 'implicit');
      assert.equal(probe?.tls?.protocol, 'TLSv1.3');
      assert.match(probe?.banner ?? '', /submissions\.mxready\.test/);
      assert.equal(probe?.certificate?.trusted, true);
      // The same server without --implicit-tls: a silent server is never guessed to be implicit TLS.
      const guessed = await runCli([`127.0.0.1:${server.port}`, '--format', 'json', '--timeout', '1500', '--resolver', '127.0.0.1:9']);
      const plain = (JSON.parse(guessed.stdout) as Report).targets[0]?.mx[0]?.addresses[0]?.probe;
      assert.equal(plain?.status, 'timeout');
      assert.equal(plain?.error?.phase, 'greeting');
    } finally {
      await server.close();
    }
  });
});

describe('client certificates', () => {
  it('Given a relay that requires a client certificate Then without one the session is refused inside TLS, with one it is ok', async () => {
    const serverCa = await createCa({ commonName: 'relay CA' });
    const clientCa = await createCa({ commonName: 'sender CA' });
    const serverCert = await serverCa.issue({ commonName: 'relay.mxready.test', dnsNames: ['relay.mxready.test'], ipAddresses: ['127.0.0.1'] });
    const clientCert = await clientCa.issue({ commonName: 'sender.mxready.test', dnsNames: ['sender.mxready.test'] });
    const other = await clientCa.issue({ commonName: 'other.mxready.test' });
    const server = await startSmtpServer({
      hostname: 'relay.mxready.test',
      starttls: true,
      tls: { key: serverCert.keyPem, cert: serverCert.chainPem, requireClientCert: true, ca: [clientCa.certPem] },
    });
    try {
      const files = { ca: join(dir, 'relay-ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key'), otherKey: join(dir, 'other.key') };
      writeFileSync(files.ca, serverCa.certPem);
      writeFileSync(files.cert, clientCert.certPem);
      writeFileSync(files.key, clientCert.keyPem);
      writeFileSync(files.otherKey, other.keyPem);
      const base = [`127.0.0.1:${server.port}`, '--ca-file', files.ca, '--format', 'json', '--resolver', '127.0.0.1:9'];

      const without = await runCli(base);
      assert.equal(without.code, 1, without.stderr);
      const refused = (JSON.parse(without.stdout) as Report).targets[0];
      const refusedProbe = refused?.mx[0]?.addresses[0]?.probe;
      assert.equal(refusedProbe?.status, 'smtp-rejected');
      assert.equal(refusedProbe?.error?.phase, 'ehlo-after-tls');
      assert.equal(refusedProbe?.error?.code, 'tls-alert');
      assert.match(refusedProbe?.error?.message ?? '', /certificate required/);
      assert.equal(refusedProbe?.tls?.protocol, 'TLSv1.3', 'the TLS facts gathered before the refusal are kept');
      assert.deepEqual(findingIds(refused as TargetReport), ['smtp.rejected-after-tls']);

      const withCert = await runCli([...base, '--client-cert', files.cert, '--client-key', files.key]);
      assert.equal(withCert.code, 0, withCert.stderr);
      const accepted = (JSON.parse(withCert.stdout) as Report).targets[0]?.mx[0]?.addresses[0]?.probe;
      assert.equal(accepted?.status, 'ok');
      assert.equal(accepted?.clientCertificate, true);
      assert.ok((accepted?.extensionsAfterTls ?? []).length > 0);

      const mismatched = await runCli([...base, '--client-cert', files.cert, '--client-key', files.otherKey]);
      assert.equal(mismatched.code, 2);
      assert.match(mismatched.stderr, /--client-key ".*other\.key" does not belong to --client-cert "/);
      const alone = await runCli([...base, '--client-cert', files.cert]);
      assert.equal(alone.code, 2);
      assert.match(alone.stderr, /--client-cert and --client-key go together/);
    } finally {
      await server.close();
    }
  });
});

describe('--enumerate', () => {
  it('Given hosts that accept old versions When enumerated Then the versions, suites and findings show it, within the connection budget', async () => {
    const lenientServer = lab.lab.smtp.find((s) => s.host === '127.0.0.11');
    const before = lenientServer?.sessions ?? 0;
    const { report } = await scanJson([d('lenient'), d('legacy')], ['--enumerate']);
    assert.deepEqual(contractViolations(report), []);
    const lenient = target(report, d('lenient'));
    const e = lenient.mx[0]?.addresses[0]?.probe.enumeration;
    assert.deepEqual(e?.protocols, { SSLv3: null, TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': true, 'TLSv1.3': true });
    assert.deepEqual(Object.keys(e?.ciphers ?? {}).sort(), ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
    assert.ok(e?.ciphers['TLSv1.3']?.every((c) => c.standardName.startsWith('TLS_')));
    const classes = lenient.mx[0]?.addresses[0]?.assessment.enumeration?.classes ?? {};
    assert.ok(e?.ciphers['TLSv1.3']?.every((c) => classes[c.standardName] === 'good'), JSON.stringify(classes));
    assert.equal(lenient.mx[0]?.addresses[0]?.assessment.enumeration?.versions['TLSv1'], 'warn');
    assert.deepEqual(e?.groups, ['X25519']);
    assert.ok((e?.notTestable ?? []).some((name) => name.includes('3DES')), '3DES is listed as not testable');
    assert.equal(lenient.findings.find((f) => f.id === 'tls.legacy-protocol.accepted')?.severity, 'warn');
    const accepted = Object.values(e?.ciphers ?? {}).flat().length;
    const connections = (lenientServer?.sessions ?? 0) - before;
    assert.ok(connections <= accepted + (e?.groups.length ?? 0) + 7, `${connections} connections for ${accepted} suites`);
    assert.equal(e?.handshakes, connections - 1, 'every enumeration session is counted, the plain probe apart');

    const legacy = target(report, d('legacy'));
    const probe = legacy.mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'ok');
    assert.equal(probe?.tls?.protocol, 'TLSv1');
    assert.equal(probe?.enumeration?.protocols.TLSv1, true);
    assert.equal(probe?.enumeration?.protocols['TLSv1.2'], false);
    assert.ok(findingIds(legacy).includes('tls.version.below-minimum'));
  });
});
