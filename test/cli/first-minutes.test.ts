/**
 * The first five minutes of a new user, each finding of the report that asked
 * for them reproduced: a mistyped command, `policy` alone, a huge or binary
 * target line, many bad lines, a URL, a preset in the wrong case, errno names,
 * TLS version spellings, a resolver that refuses, and progress while resolving.
 * Nothing here reaches a server: every run stops at its usage error, or asks a
 * loopback resolver.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/report.js';
import { rawOutputViolations } from '../hostile/inert.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startSilentResolver, type SilentResolver } from '../helpers/silent-resolver.js';

let dir: string;
/** A UDP port on loopback with nothing bound: queries to it are refused (ICMP port unreachable). */
const REFUSING = '127.0.0.1:9';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-first-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** stderr's lines that mxready wrote (the message lines). */
const messages = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('mxready: '));

describe('the first five minutes', { concurrency: 4 }, () => {
  it('Given a mistyped command (`reprot saved.json`) Then no scan: "did you mean `report`?", exit 2', async () => {
    const run = await runCli(['reprot', 'saved.json', '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), ['mxready: unknown command "reprot": did you mean `report`? (a domain to scan has a dot)']);
    assert.equal(run.stdout, '');
  });

  it('Given a word near a command that is a plausible target (a dot) Then it is scanned as a target, not taken for a command', async () => {
    const run = await runCli(['report.example', '--resolver', REFUSING, '--format', 'json', '--dns-timeout', '500']);
    assert.equal(run.code, 3);
    assert.equal((JSON.parse(run.stdout) as Report).targets[0]?.domain, 'report.example');
  });

  it('Given `mxready policy` alone Then one usage line, exit 2', async () => {
    const run = await runCli(['policy']);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), ['mxready: usage: mxready policy show NAME|FILE [--min-tls VERSION] [--expiry-warn DAYS]']);
  });

  for (const word of ['shw', 'Show', 'sohw']) {
    it(`Given \`mxready policy ${word} strict\` Then the usage line names show, exit 2`, async () => {
      const run = await runCli(['policy', word, 'strict']);
      assert.equal(run.code, 2);
      assert.deepEqual(messages(run.stderr), [`mxready: usage: mxready policy show NAME|FILE [--min-tls VERSION] [--expiry-warn DAYS] ("${word}": did you mean \`show\`?)`]);
    });
  }

  it('Given a 100 KB bad target Then it is quoted in at most 80 characters, on one line', async () => {
    const run = await runCli([`${'a'.repeat(100_000)}..x`, '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    const lines = messages(run.stderr);
    assert.equal(lines.length, 1);
    const quoted = /"([^"]*)"/.exec(lines[0] ?? '')?.[1] ?? '';
    assert.ok(quoted.length > 0 && quoted.length <= 80, `quoted ${quoted.length} characters`);
    assert.ok((lines[0] ?? '').length < 200, lines[0]);
  });

  it('Given a targets file with binary bytes Then exit 2 naming the line, and stderr stays inert', async () => {
    const file = join(dir, 'binary.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('ok.example\n'), Buffer.from([0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x0a])]));
    const run = await runCli(['-f', file, '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), [`mxready: "${file}":2: not UTF-8 text (a binary file?)`]);
    assert.deepEqual(rawOutputViolations(Buffer.from(run.stderr)), []);
  });

  it('Given a control byte in an otherwise UTF-8 target Then it is quoted escaped', async () => {
    const run = await runCli(['bad\u001b[31m.example', '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /"bad\\x1B\[31m\.example"/);
    assert.deepEqual(rawOutputViolations(Buffer.from(run.stderr)), []);
  });

  it('Given 25 bad lines in a file Then the first 20 are named, then a count, on one line', async () => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, Array.from({ length: 25 }, (_, i) => `bad_${i}..x`).join('\n'));
    const run = await runCli(['-f', file, '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    const [line = ''] = messages(run.stderr);
    assert.match(line, /^mxready: 25 bad lines: /);
    for (let i = 1; i <= 20; i += 1) assert.ok(line.includes(`"${file}":${i}: `), `line ${i} named`);
    assert.ok(!line.includes(`"${file}":21: `));
    assert.match(line, /and 5 more bad lines$/);
  });

  it('Given a URL Then "give the domain"', async () => {
    const run = await runCli(['https://example.com/path', '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /is a URL: give the domain, e\.g\. example\.com/);
  });

  it('Given --policy STRICT Then the presets are listed, not "no such file"', async () => {
    const run = await runCli(['example.com', '--policy', 'STRICT', '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), ['mxready: unknown policy "STRICT": preset names are lower case (encrypt, verify, strict, dane)']);
  });

  it('Given a folder as the targets file Then the error is in words, not an errno name', async () => {
    const run = await runCli(['-f', dir, '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), [`mxready: cannot read "${dir}": is a directory`]);
  });

  // The spellings themselves are unit-tested (test/policy); here, the two the report found refused.
  it('Given a policy file with "TLSv1.0" and --min-tls TLS1.2 Then both are accepted, as TLSv1 and TLSv1.2', async () => {
    const file = join(dir, 'policy-tlsv1.0.json');
    writeFileSync(file, JSON.stringify({ extends: 'encrypt', minTlsVersion: 'TLSv1.0' }));
    const [fromFile, flag] = await Promise.all([runCli(['policy', 'show', file]), runCli(['policy', 'show', 'encrypt', '--min-tls', 'TLS1.2'])]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(flag.code, 0, flag.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as { minTlsVersion: string }).minTlsVersion, 'TLSv1');
    assert.equal((JSON.parse(flag.stdout) as { minTlsVersion: string }).minTlsVersion, 'TLSv1.2');
  });

  it('Given an unknown version (1.4, SSL3) Then exit 2 listing the spellings', async () => {
    for (const bad of ['1.4', 'SSL3']) {
      const run = await runCli(['policy', 'show', 'encrypt', '--min-tls', bad]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /"1\.2", "TLSv1\.2" or "TLS1\.2"/);
    }
  });

  it('Given a resolver that refuses (nothing on its port) Then each lookup ends at once as dns-connection-refused, and stderr names the resolvers', async () => {
    // The code says it: a refusal is given up at once, never waited out as dns-timeout (3 attempts of 5 s).
    const run = await runCli(['a.example', 'b.example', '--resolver', REFUSING, '--format', 'json']);
    assert.equal(run.code, 3);
    const report = JSON.parse(run.stdout) as Report;
    for (const t of report.targets) assert.equal(t.dns.error?.code ?? t.error?.code, 'dns-connection-refused', t.domain);
    assert.deepEqual(messages(run.stderr), [
      `mxready: DNS could not be reached (connection refused); the resolvers in use are --resolver: ${REFUSING}; give working ones with --resolver IP[:PORT]`,
    ]);
  });
});

describe('progress while resolving', () => {
  let silent: Socket;
  let port: number;

  before(async () => {
    // A resolver that receives every query and answers none.
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    port = silent.address().port;
  });

  after(() => {
    silent.close();
  });

  it('Given a terminal and a slow resolver Then "resolving 0/2" shows from the start', async () => {
    const args = [process.execPath, BIN, 'a.example', 'b.example', '--resolver', `127.0.0.1:${port}`, '--dns-timeout', '200'];
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['NO_COLOR'];
    const child = spawn('script', ['-qec', args.map((a) => `'${a}'`).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let firstQuery = false;
    let resolvingBeforeFirstAnswer = false;
    silent.once('message', () => (firstQuery = true));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      // The line is there while the first lookup waits: the resolver has seen a query and answered nothing.
      if (output.includes('resolving 0/2') && !output.includes('VERDICT')) resolvingBeforeFirstAnswer = true;
    });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 3);
    assert.ok(firstQuery, 'the resolver was asked');
    assert.ok(resolvingBeforeFirstAnswer, `no "resolving 0/2" before the report: ${JSON.stringify(output.slice(0, 300))}`);
  });
});

describe('mistyped commands: case and near misses, `help` too', { concurrency: 4 }, () => {
  // A refusing resolver as a guard: were the word taken for a target, the run would end as a scan (exit 3), not exit 2.
  const cases: [readonly string[], string][] = [
    [['Report', 'x'], 'report'],
    [['Demo'], 'demo'],
    [['DEMO'], 'demo'],
    [['hlep'], 'help'],
    [['HELP'], 'help'],
    [['Scan', 'example.com'], 'scan'],
    [['Policy', 'show', 'encrypt'], 'policy'],
    [['mrege', 'a.ndjson'], 'merge'],
  ];
  for (const [args, command] of cases) {
    it(`Given \`mxready ${args.join(' ')}\` Then no scan: "did you mean \`${command}\`?", exit 2`, async () => {
      const run = await runCli([...args, '--resolver', REFUSING]);
      assert.equal(run.code, 2, run.stderr);
      assert.deepEqual(messages(run.stderr), [`mxready: unknown command "${args[0]}": did you mean \`${command}\`? (a domain to scan has a dot)`]);
      assert.equal(run.stdout, '');
    });
  }
});

describe('bad flag values are quoted, capped', { concurrency: 4 }, () => {
  const huge = `${'a'.repeat(50_000)}\u001b[31m${'b'.repeat(50_000)}`;
  // Each flag with what its one line says (its quoted value is checked below).
  const cases: [readonly string[], RegExp][] = [
    [['--resolver', huge], /^mxready: invalid resolver "a+…" \(expected IP/],
    [['--policy', huge], /^mxready: cannot read policy file "a+…": the name is too long$/],
    [['--policy', 'a'.repeat(100_000)], /^mxready: unknown policy "a+…" \(a preset/],
    [['--min-tls', huge], /^mxready: invalid TLS version "a+…" \(expected 1\.0/],
    [['--port', huge], /^mxready: option '--port <n>' argument "a+…" is invalid\. --port must be a whole number/],
    [['--concurrency', huge], /^mxready: option '--concurrency <n>' argument "a+…" is invalid/],
    [['--ca-file', huge], /^mxready: cannot read --ca-file "a+…": the name is too long$/],
    [['--exclude', huge], /^mxready: cannot read --exclude "a+…": the name is too long$/],
    [['-f', huge], /^mxready: cannot read "a+…": the name is too long$/],
    [['--json', huge], /^mxready: cannot write --json "a+…": the name is too long$/],
    [['--baseline', huge], /^mxready: cannot read --baseline "a+…": the name is too long$/],
    [['--format', huge], /^mxready: option '--format <format>' argument "a+…" is invalid\. Allowed choices/],
    [['--resume', huge], /^mxready: cannot create --resume "a+…": the name is too long$/],
    [[huge.replace(/^a/, '--')], /^mxready: unknown option "--a+…"/],
  ];
  for (const [flag, message] of cases) {
    it(`Given a 100 KB value for ${flag[0]?.slice(0, 12) ?? ''} Then one short line, exit 2`, async () => {
      const run = await runCli(['x.example', ...flag, '--resolver', REFUSING]);
      assert.equal(run.code, 2, run.stderr.slice(0, 300));
      const lines = messages(run.stderr);
      assert.equal(lines.length, 1, run.stderr.slice(0, 300));
      assert.equal(run.stderr, `${lines[0]}\n`);
      assert.match(lines[0] ?? '', message);
      const value = /"([^"]*…)"/.exec(lines[0] ?? '')?.[1] ?? '';
      assert.equal(value.length, 80, value);
      assert.ok((lines[0] ?? '').length < 300, `${(lines[0] ?? '').length} characters`);
      assert.deepEqual(rawOutputViolations(Buffer.from(run.stderr)), []);
    });
  }

  it('Given `report` of a 100 KB path Then one short line, exit 2', async () => {
    const run = await runCli(['report', huge]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mxready: cannot read "a{79}…": the name is too long\n$/);
  });

  it('Given an escape where the 80 characters end Then it is dropped whole, never shown half', async () => {
    // "\x1B" starts at character 78 of the quoted text: "\x" would fit, the rest would not.
    const run = await runCli(['x.example', '--resolver', `${'a'.repeat(77)}\u001b${'b'.repeat(10)}`]);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), [`mxready: invalid resolver "${'a'.repeat(77)}…" (expected IP, IP:PORT or [IPv6]:PORT)`]);
  });
});

describe('URL-like targets are told to give the domain, before any lookup', { concurrency: 4 }, () => {
  for (const target of ['mailto:user@example.com', 'example.com/', 'example.com/path']) {
    it(`Given ${target} Then "give the domain", exit 2`, async () => {
      const run = await runCli([target, '--resolver', REFUSING]);
      assert.equal(run.code, 2);
      assert.deepEqual(messages(run.stderr), [`mxready: target "${target}" is a URL: give the domain, e.g. example.com (or a relay as host:port)`]);
    });
  }
});

describe('--json with an empty path', () => {
  it('Given --json \'\' Then "--json needs a file path", exit 2, nothing scanned', async () => {
    const run = await runCli(['x.example', '--json', '', '--resolver', REFUSING]);
    assert.equal(run.code, 2);
    assert.deepEqual(messages(run.stderr), ['mxready: --json needs a file path (an empty one was given)']);
  });
});

describe('targets with format characters', () => {
  // A resolver that answers nothing: each lookup ends as dns-timeout after --dns-timeout.
  let silent: SilentResolver;
  before(async () => {
    silent = await startSilentResolver();
  });
  after(() => silent.close());

  // U+200B, U+00AD and U+2060 are dropped by IDNA (the name is valid); U+202E sits in a mail address's local part.
  const targets = ['zw\u200bsp.example', 'soft\u00adhyphen.example', 'word\u2060joiner.example', '\u202eresu@bidi.example'];
  const escaped = ['zw\\u200Bsp.example', 'soft\\u00ADhyphen.example', 'word\\u2060joiner.example', '\\u202Eresu@bidi.example'];
  const RAW = /[\u200b\u00ad\u2060\u202e]/;

  for (const format of ['json', 'ndjson', 'junit'] as const) {
    it(`Given such targets When the report is ${format} Then it carries their escapes, never the characters`, async () => {
      const run = await runCli([...targets, '--format', format, '--resolver', silent.address, '--dns-timeout', '50', '--no-dane', '--no-mta-sts', '--no-tls-rpt']);
      assert.equal(run.code, 3, run.stderr);
      assert.ok(!RAW.test(run.stdout), `a raw format character in the ${format} output`);
      if (format === 'junit') {
        for (const input of escaped) assert.ok(run.stdout.includes(`name="${input}"`), `${input} named`);
        return;
      }
      const reported = format === 'json'
        ? (JSON.parse(run.stdout) as Report).targets
        : run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; target?: Report['targets'][number] }).flatMap((line) => (line.target ? [line.target] : []));
      assert.deepEqual(reported.map((t) => t.input).sort(), [...escaped].sort());
    });
  }
});
