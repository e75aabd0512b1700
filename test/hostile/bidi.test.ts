/**
 * Hardening round two, class 7: bidirectional controls and the other format
 * characters (category Cf: overrides, isolates, marks, zero-width characters,
 * the soft hyphen, tags above U+FFFF) and U+2028/U+2029 never reach an output
 * raw. A hostile STARTTLS server on loopback puts them in its greeting, its EHLO
 * replies before and inside TLS, and its certificate (subject and issuer, in
 * UTF8String, BMPString and UniversalString; alternative names as raw UTF-8);
 * the lab's DNS puts them in MX and CNAME names (wire labels) and in the TLS-RPT
 * and MTA-STS TXT records. Scanned in every format, with --trace, and with the
 * GitHub annotations on stderr: stdout and stderr hold no such character, and
 * the escape (`\u202E`, `\u{E0041}`; `\226\128\174` in a DNS name) is there where
 * the field is shown, so nothing passes by dropping the text.
 *
 * Saved reports are as untrusted: one made by an older mxready, or edited by
 * hand, with the raw characters back in, re-rendered by `report` in every format
 * and read back by `merge`, comes out escaped, the same as the scan's own.
 *
 * The CLI runs in this process (./run.ts runCliInProcess): some forty runs, each
 * about the text it writes; test/hostile/closed-stdout.test.ts and the scenarios
 * of ./hostile.test.ts run it as a process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import type { Report } from '../../src/model/report.js';
import { FORMAT_NAMES, type FormatName } from '../../src/report/catalog.js';
import * as der from '../tls/der-builder.js';
import { mxRdata, rawAnswer, startHostileDns, wireLabels, type DnsScript, type HostileDns } from './dns.js';
import { jsonStringViolations, rawOutputViolations } from './inert.js';
import { runCliInProcess, type RawRun } from './run.js';
import { reply, smtpSession, startHostileSmtp, type HostileSmtpLab } from './servers.js';

const ZONE = 'bidi.test';
const IP = '127.77.66.1';
const MX = `mx.tls.${ZONE}`;

/** The characters, one of each kind the contract names. */
const C = {
  rlo: '\u202E', // RIGHT-TO-LEFT OVERRIDE
  lri: '\u2066', // LEFT-TO-RIGHT ISOLATE
  rlm: '\u200F', // RIGHT-TO-LEFT MARK
  zwsp: '\u200B', // ZERO WIDTH SPACE
  shy: '\u00AD', // SOFT HYPHEN
  ls: '\u2028', // LINE SEPARATOR
  ps: '\u2029', // PARAGRAPH SEPARATOR
  tag: '\u{E0041}', // TAG LATIN CAPITAL LETTER A
} as const;

/** How the report spells a character: `\u202E`, `\u{E0041}` above U+FFFF. */
function escapeOf(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase();
  return cp > 0xffff ? `\\u{${hex.padStart(5, '0')}}` : `\\u${hex.padStart(4, '0')}`;
}

/** Text as the server's raw bytes (Conn writes strings as latin1). */
const wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Each hostile field: what the server or zone sends, and the escaped text the report must show. */
const FIELD = {
  greeting: `ESMTP gre${C.rlo}eting`,
  greeting2: `second${C.ls}line${C.tag}`,
  ehlo: `X-ISOLATE${C.lri}`,
  ehlo2: `X-SOFT${C.shy}HYPHEN`,
  ehloTls: `X-AFTER${C.ps}TLS`,
  ehloTls2: `X-ZERO${C.zwsp}WIDTH`,
  subjectCn: `mx${C.rlo}gpj.exe`,
  subjectO: `Org ${C.lri}isolate`,
  subjectOu: `Unit ${C.rlm}mark`,
  issuerCn: `Issuer ${C.shy}soft ${C.tag}tag`,
  issuerO: `Issuer Org ${C.ps}para`,
  sanDns: `mx${C.zwsp}.tls.${ZONE}`,
  sanEmail: `post${C.ls}master@${ZONE}`,
  sanUri: `https://x${C.rlo}y.${ZONE}/`,
  /** The TLS-RPT record's rua and the MTA-STS record's id (the formats for people quote these). */
  rua: `mailto:rpt${C.rlo}x@${ZONE}`,
  stsId: `2026${C.lri}01`,
} as const;
type Field = keyof typeof FIELD;

/** The subject and issuer fields: a distinguished name escapes as RFC 4514 says, each UTF-8 byte of such a character as \\hh. */
const DN_FIELDS: ReadonlySet<Field> = new Set(['subjectCn', 'subjectO', 'subjectOu', 'issuerCn', 'issuerO']);

/** How the report shows a field: every character of the kinds above escaped, `\u202E` (`\E2\80\AE` in a DN). */
function shown(field: Field): string {
  let out = '';
  for (const ch of FIELD[field]) {
    if (!(Object.values(C) as string[]).includes(ch)) out += ch;
    else if (DN_FIELDS.has(field)) out += [...Buffer.from(ch, 'utf8')].map((b) => `\\${b.toString(16).toUpperCase()}`).join('');
    else out += escapeOf(ch);
  }
  return out;
}

/** The two hostile DNS names, as labels (latin1 bytes), and their RFC 4343 presentation form. */
const NAME_MX = { domain: `name.${ZONE}`, labels: [wire(`mx${C.rlo}`), 'name', 'bidi', 'test'], presented: `mx\\226\\128\\174.name.${ZONE}` };
const NAME_CNAME = { domain: `cname.${ZONE}`, labels: [wire(`real${C.lri}`), 'cname', 'bidi', 'test'], presented: `real\\226\\129\\166.cname.${ZONE}` };
const TARGETS = [`tls.${ZONE}`, NAME_MX.domain, NAME_CNAME.domain];

const pem = (label: string, body: Buffer): string => `-----BEGIN ${label}-----\n${body.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;

/** A certificate with the hostile subject, issuer and names (signed by its own key, so untrusted: trust is not the point). */
function hostileCertificate(): { keyPem: string; certPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = der.name(
    [der.atv(der.OIDS.O, der.str.utf8(FIELD.subjectO))],
    [der.atv(der.OIDS.OU, der.str.bmp(FIELD.subjectOu))],
    [der.atv(der.OIDS.CN, der.str.utf8(FIELD.subjectCn))],
  );
  const issuer = der.name([der.atv(der.OIDS.O, der.str.universal(FIELD.issuerO))], [der.atv(der.OIDS.CN, der.str.utf8(FIELD.issuerCn))]);
  const san = der.subjectAltName(der.gn.dns(MX), der.gn.dns(wire(FIELD.sanDns)), der.gn.email(wire(FIELD.sanEmail)), der.gn.uri(wire(FIELD.sanUri)));
  const cert = der.syntheticCertificate({ subject, issuer, extensions: [san], publicKey, signingKey: privateKey });
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: pem('CERTIFICATE', cert) };
}

/** A run of the CLI and what it was asked. */
interface Output {
  readonly name: string;
  readonly run: RawRun;
}

let dns: HostileDns;
let smtp: HostileSmtpLab;
let dir: string;
const scans = new Map<string, Output>();

function scanArgs(): string[] {
  return [...TARGETS, '--resolver', `${dns.host}:${dns.port}`, '--port', String(smtp.port), '--allow-private', '--timeout', '5000', '--dns-timeout', '500', '--no-progress'];
}

/** Runs jobs a few at a time (two shared cores): bounded by the list. */
async function inTurn<T>(jobs: readonly (() => Promise<T>)[], width = 3): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += width) results.push(...(await Promise.all(jobs.slice(i, i + width).map((job) => job()))));
  return results;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-bidi-'));
  const cert = hostileCertificate();
  const context = createSecureContext({ key: cert.keyPem, cert: cert.certPem });
  smtp = await startHostileSmtp([
    {
      ip: IP,
      script: (c) =>
        smtpSession(c, {
          host: MX,
          greeting: wire(reply(220, [`${MX} ${FIELD.greeting}`, FIELD.greeting2])),
          extensions: [wire(FIELD.ehlo), wire(FIELD.ehlo2), 'PIPELINING'],
          starttls: { kind: 'tls', context, ehloAfterTls: [wire(FIELD.ehloTls), wire(FIELD.ehloTls2), 'PIPELINING'] },
        }),
    },
  ]);
  const records: LabZoneRecord[] = [
    { name: `tls.${ZONE}`, type: 'MX', data: { preference: 10, exchange: MX } },
    { name: MX, type: 'A', data: IP },
    { name: `_smtp._tls.tls.${ZONE}`, type: 'TXT', data: Buffer.from(`v=TLSRPTv1; rua=${FIELD.rua}`, 'utf8') },
    { name: `_mta-sts.tls.${ZONE}`, type: 'TXT', data: Buffer.from(`v=STSv1; id=${FIELD.stsId}`, 'utf8') },
    { name: NAME_CNAME.domain, type: 'MX', data: { preference: 10, exchange: `mx.${NAME_CNAME.domain}` } },
  ];
  const labels = (list: readonly string[]): Buffer => wireLabels(list.map((l) => Buffer.from(l, 'latin1')));
  const scripts = new Map<string, DnsScript>([
    [NAME_MX.domain, (q, kit) => [{ bytes: q.type === 'MX' ? rawAnswer(q, [{ type: 'MX', rdata: mxRdata(10, labels(NAME_MX.labels)) }]) : kit.zone(q) }]],
    [`mx.${NAME_CNAME.domain}`, (q) => [{ bytes: rawAnswer(q, [{ type: 'CNAME', rdata: labels(NAME_CNAME.labels) }]) }]],
  ]);
  dns = await startHostileDns({ records, scripts });

  const jobs: (() => Promise<void>)[] = FORMAT_NAMES.map((format) => async () => {
    scans.set(format, { name: `--format ${format}`, run: await runCliInProcess([...scanArgs(), '--format', format]) });
  });
  jobs.push(async () => {
    scans.set('trace', { name: '--format table --trace', run: await runCliInProcess([...scanArgs(), '--format', 'table', '--trace']) });
  });
  jobs.push(async () => {
    const file = join(dir, 'scan.json');
    const run = await runCliInProcess([...scanArgs(), '--format', 'json', '--trace', '--json', file]);
    scans.set('json-trace', { name: '--format json --trace', run });
  });
  jobs.push(async () => {
    const run = await runCliInProcess([...scanArgs(), '--format', 'ndjson', '--trace']);
    writeFileSync(join(dir, 'scan.ndjson'), run.stdout);
    scans.set('ndjson-trace', { name: '--format ndjson --trace', run });
  });
  jobs.push(async () => {
    scans.set('annotations', { name: 'GITHUB_ACTIONS=true --format json', run: await runCliInProcess([...scanArgs(), '--format', 'json'], { GITHUB_ACTIONS: 'true' }) });
  });
  await inTurn(jobs);
}, { timeout: 60_000 });

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close()]);
  // MXREADY_HOSTILE_KEEP=1 keeps the outputs for a look.
  if (dir && process.env['MXREADY_HOSTILE_KEEP'] === '1') {
    for (const [key, { run }] of scans) {
      writeFileSync(join(dir, `${key}.stdout`), run.stdout);
      writeFileSync(join(dir, `${key}.stderr`), run.stderr);
    }
    console.log(`bidi outputs kept in ${dir}`);
  } else if (dir) rmSync(dir, { recursive: true, force: true });
});

function scan(key: string): Output {
  const output = scans.get(key);
  assert.ok(output, `no run ${key}`);
  return output;
}

/** Every field the server or the zone sent. */
const SERVER_FIELDS: readonly Field[] = Object.keys(FIELD) as Field[];
/** What the table and the other formats for people quote: the certificate names in findings, the TXT records in findings, the DNS names. */
const QUOTED: readonly Shown[] = ['subjectCn', 'subjectO', 'issuerCn', 'issuerO', 'rua', 'names'];

type Shown = Field | 'names';

/**
 * What each format must show of the hostile text, escaped, beside carrying no raw
 * character: the fields it has a place for. Markdown lists only the targets that
 * did not pass and their finding ids; the inventory and the enforcement formats
 * name protocols, domains and MX hosts that DNS gave validly: those are held to
 * inertness alone.
 */
const SHOWN: Readonly<Record<FormatName, readonly Shown[]>> = {
  table: QUOTED,
  json: [...SERVER_FIELDS, 'names'],
  ndjson: [...SERVER_FIELDS, 'names'],
  inventory: [],
  markdown: [],
  junit: [...QUOTED, 'stsId'],
  sarif: [...QUOTED, 'stsId'],
  html: [...QUOTED, 'stsId', 'greeting', 'subjectOu'],
  'postfix-policy': [],
  'exim-hosts': [],
  attls: [],
};

function assertInert(output: Output, codes: readonly number[] = [3]): void {
  const { run, name } = output;
  assert.equal(run.signal, null, `${name} was killed`);
  assert.ok(codes.includes(run.code ?? -1), `${name}: exit ${run.code}; stderr: ${run.stderr.toString('utf8').slice(0, 1500)}`);
  assert.deepEqual(rawOutputViolations(run.stdout), [], `${name}: stdout`);
  assert.deepEqual(rawOutputViolations(run.stderr), [], `${name}: stderr`);
  assert.doesNotMatch(run.stderr.toString('utf8'), /\n\s+at |internal error/, `${name}: a stack trace on stderr`);
}

/** Whether `text` holds `needle`, as it is or as a JSON string spells it (a backslash doubled). */
function holds(text: string, needle: string): boolean {
  return text.includes(needle) || text.includes(JSON.stringify(needle).slice(1, -1));
}

function assertShows(text: string, what: readonly Shown[], name: string): void {
  for (const field of what) {
    if (field === 'names') {
      for (const presented of [NAME_MX.presented, NAME_CNAME.presented]) assert.ok(holds(text, presented), `${name}: ${presented} is not shown`);
      continue;
    }
    assert.ok(holds(text, shown(field)), `${name}: the ${field} is not shown as ${shown(field)}`);
  }
}

describe('a hostile STARTTLS server and zone with format characters in every field', () => {
  it('Given the scan as JSON Then the report holds every field, escaped, and no string in it holds a raw character', () => {
    const { run } = scan('json');
    const report = JSON.parse(run.stdout.toString('utf8')) as Report;
    assert.deepEqual(jsonStringViolations(report), []);
    const tls = report.targets.find((t) => t.input === `tls.${ZONE}`);
    const probe = tls?.mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'ok', JSON.stringify(probe?.error));
    const cert = probe?.certificate;
    assert.equal(cert?.subject, `CN=${shown('subjectCn')},OU=${shown('subjectOu')},O=${shown('subjectO')}`);
    assert.equal(cert?.issuer, `CN=${shown('issuerCn')},O=${shown('issuerO')}`);
    assert.deepEqual(cert?.subjectAltNames, [`DNS:${MX}`, `DNS:${shown('sanDns')}`, `email:${shown('sanEmail')}`, `URI:${shown('sanUri')}`]);
    assert.equal(probe?.banner, `${MX} ${shown('greeting')}\n${shown('greeting2')}`);
    assert.deepEqual(probe?.extensions, [shown('ehlo'), shown('ehlo2'), 'PIPELINING', 'STARTTLS']);
    assert.deepEqual(probe?.extensionsAfterTls, [shown('ehloTls'), shown('ehloTls2'), 'PIPELINING']);
    assert.equal(tls?.tlsRpt?.record, `v=TLSRPTv1; rua=${shown('rua')}`);
    assert.deepEqual(tls?.mtaSts?.records, [`v=STSv1; id=${shown('stsId')}`]);
    const byName = (domain: string) => report.targets.find((t) => t.input === domain)?.mx[0];
    assert.equal(byName(NAME_MX.domain)?.host, NAME_MX.presented);
    assert.deepEqual(byName(NAME_CNAME.domain)?.cname, [NAME_CNAME.presented]);
  });

  for (const format of FORMAT_NAMES) {
    it(`Given --format ${format} Then stdout and stderr carry no raw format character${SHOWN[format].length > 0 ? ', and the escapes are shown' : ''}`, () => {
      const output = scan(format);
      assertInert(output);
      assertShows(output.run.stdout.toString('utf8'), SHOWN[format], output.name);
    });
  }

  it('Given --trace Then the dialogue after the table shows the greeting and the EHLO lines escaped', () => {
    const output = scan('trace');
    assertInert(output);
    assertShows(output.run.stdout.toString('utf8'), [...QUOTED, 'greeting', 'greeting2', 'ehlo', 'ehlo2', 'ehloTls', 'ehloTls2'], output.name);
  });

  for (const key of ['json-trace', 'ndjson-trace']) {
    it(`Given ${key.replace('-', ' --')} Then the transcripts are escaped too`, () => {
      const output = scan(key);
      assertInert(output);
      const text = output.run.stdout.toString('utf8');
      assertShows(text, [...SERVER_FIELDS, 'names'], output.name);
      assert.match(text, /"transcript"/);
    });
  }

  it('Given GITHUB_ACTIONS=true Then the annotations on stderr carry the escapes, never the characters', () => {
    const output = scan('annotations');
    assertInert(output);
    const stderr = output.run.stderr.toString('utf8');
    assert.match(stderr, /^::(error|warning) /m);
    assertShows(stderr, ['subjectCn', 'issuerO', 'stsId', 'names'], output.name);
  });
});

// ---------------------------------------------------------------- saved reports

/** The scan's saved text with every `\uXXXX` escape of the characters above turned back into the character, as an mxready that did not escape them wrote it. */
function unescaped(text: string): string {
  let out = text;
  for (const ch of Object.values(C)) out = out.split(JSON.stringify(escapeOf(ch)).slice(1, -1)).join(ch);
  return out;
}

describe('saved reports with the raw characters in them (an older mxready, a hand edit)', () => {
  const renders = new Map<string, Output>();
  const render = (key: string, args: readonly string[], env?: NodeJS.ProcessEnv) => async () => {
    renders.set(key, { name: `mxready ${args.join(' ')}`, run: await runCliInProcess(args, env) });
  };
  const get = (key: string): Output => {
    const output = renders.get(key);
    assert.ok(output, `no run ${key}`);
    return output;
  };
  const files = { clean: '', raw: '', edited: '', cleanLines: '', rawLines: '' };

  before(async () => {
    const scanned = readFileSync(join(dir, 'scan.json'), 'utf8');
    const lines = readFileSync(join(dir, 'scan.ndjson'), 'utf8');
    const edited = JSON.parse(unescaped(scanned)) as { targets: { findings: { message: string }[] }[]; policy: { name: string } };
    const first = edited.targets[0]?.findings[0];
    assert.ok(first, 'a finding to edit');
    first.message = `${C.lri}edited${C.tag} ${first.message}`;
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    files.clean = join(dir, 'scan.json');
    files.raw = write('raw.json', unescaped(scanned));
    files.edited = write('edited.json', JSON.stringify(edited, null, 2));
    files.cleanLines = join(dir, 'scan.ndjson');
    files.rawLines = write('raw.ndjson', unescaped(lines));
    const jobs: (() => Promise<void>)[] = [];
    for (const format of FORMAT_NAMES) {
      jobs.push(render(`clean ${format}`, ['report', files.clean, '--format', format]), render(`raw ${format}`, ['report', files.raw, '--format', format]));
    }
    jobs.push(
      render('edited json', ['report', files.edited, '--format', 'json']),
      render('edited table', ['report', files.edited, '--format', 'table'], { GITHUB_ACTIONS: 'true' }),
      render('clean lines json', ['report', files.cleanLines, '--format', 'json']),
      render('raw lines json', ['report', files.rawLines, '--format', 'json']),
      render('raw lines ndjson', ['report', files.rawLines, '--format', 'ndjson']),
      render('clean merge', ['merge', files.cleanLines, '--format', 'ndjson']),
      render('raw merge', ['merge', files.rawLines, '--format', 'ndjson']),
    );
    await inTurn(jobs);
  }, { timeout: 60_000 });

  it('Given the saved files Then they do hold the raw characters (so what follows tests something)', () => {
    for (const file of [files.raw, files.edited, files.rawLines]) {
      const problems = rawOutputViolations(readFileSync(file));
      for (const ch of [C.rlo, C.lri, C.tag]) assert.ok(problems.some((p) => p.startsWith(`U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()} `)), `${file}: ${problems.join('; ')}`);
    }
  });

  for (const format of FORMAT_NAMES) {
    it(`Given report --format ${format} of the raw file Then nothing raw comes out, and the output is the scan's own, escapes and all`, () => {
      const raw = get(`raw ${format}`);
      assertInert(raw);
      assertShows(raw.run.stdout.toString('utf8'), SHOWN[format], raw.name);
      assert.equal(raw.run.stdout.toString('utf8'), get(`clean ${format}`).run.stdout.toString('utf8'));
    });
  }

  it('Given a hand-edited finding message Then JSON, the table and the annotations show it escaped', () => {
    const json = get('edited json');
    assertInert(json);
    const report = JSON.parse(json.run.stdout.toString('utf8')) as Report;
    assert.deepEqual(jsonStringViolations(report), []);
    assert.match(report.targets[0]?.findings[0]?.message ?? '', /^\\u2066edited\\u\{E0041\} /);
    const table = get('edited table');
    assertInert(table);
    assert.ok(table.run.stdout.toString('utf8').includes('\\u2066edited\\u{E0041}'), 'the table shows the edited message');
    assert.ok(table.run.stderr.toString('utf8').includes('\\u2066edited\\u{E0041}'), 'an annotation shows the edited message');
  });

  it('Given a raw NDJSON scan Then report and merge give what they give for the scan itself', () => {
    for (const [raw, clean] of [['raw lines json', 'clean lines json'], ['raw merge', 'clean merge']] as const) {
      assertInert(get(raw));
      assert.equal(get(raw).run.stdout.toString('utf8'), get(clean).run.stdout.toString('utf8'), raw);
    }
    const lines = get('raw lines ndjson');
    assertInert(lines);
    assertShows(lines.run.stdout.toString('utf8'), ['rua', 'stsId', 'greeting', 'ehloTls', 'sanUri', 'names'], lines.name);
  });
});
