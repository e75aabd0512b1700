/**
 * The HTML report in a real browser: Debian's Chromium (setup.sh installs it),
 * driven headless by playwright-core, which downloads no browser. The demo lab
 * and one hostile lab host (its certificate subject and banner carry markup) are
 * scanned, rendered to a file and opened from file://, with a fresh profile and
 * the flags that keep Chromium from reaching for the internet. Then a synthetic
 * report of 50,000 connection rows loads and sorts; the load and sort times of
 * 10³, 10⁴ and 5×10⁴ rows are printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createCa } from '../../src/lab/certs.js';
import { startDemoLab, type DemoLab } from '../../src/lab/demo.js';
import { startSmtpServer, type LabSmtpServer } from '../../src/lab/smtp-server.js';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report } from '../../src/model/report.js';
import { PRESETS } from '../../src/policy/presets.js';
import { render } from '../../src/report/index.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { scan } from '../../src/scan/scan.js';
import { reportFrom } from '../helpers/checks.js';
import { okProbe, tlsFacts } from '../helpers/factories.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = resolve('build/test-artifacts');
const SUBJECT = '</td><script>window.__pwned=1</script>';
const BANNER = '"><img src=x onerror=window.__pwned=1>';

let lab: DemoLab;
let hostile: LabSmtpServer;
let profile: string;
let browser: BrowserContext;
let report: Report;
let file: string;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  lab = await startDemoLab();
  const ca = await createCa({ commonName: 'hostile CA' });
  const cert = await ca.issue({ commonName: SUBJECT, dnsNames: ['hostile.mxready.test'] });
  hostile = await startSmtpServer({ host: '127.0.0.90', hostname: 'hostile.mxready.test', greeting: [BANNER], starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem } });
  report = await scan([...lab.targets, `127.0.0.90:${hostile.port}`], { ...lab.scanOptions, extraCa: [...(lab.scanOptions.extraCa ?? []), ca.certPem] });
  file = join(ARTIFACTS, 'html-report.html');
  writeFileSync(file, render(report, 'html', { color: false }));
  profile = mkdtempSync(join(tmpdir(), 'mxready-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1600, height: 1000 } });
});

after(async () => {
  await browser?.close();
  await hostile?.close();
  await lab?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A page that records console errors, page errors, dialogs and every request. */
async function open(url: string): Promise<{ page: Page; errors: string[]; requests: string[]; dialogs: string[]; loadMs: number }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  // Scripts run in the page as text: the test's own types know no DOM.
  const loadMs = await page.evaluate<number>(`(() => { const nav = performance.getEntriesByType('navigation')[0]; return nav ? nav.domContentLoadedEventEnd - nav.startTime : -1; })()`);
  return { page, errors, requests, dialogs, loadMs };
}

/** The text of one column of the connection table, top to bottom (visible rows only). */
function column(page: Page, name: string): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const table = document.getElementById('connections');
    const index = Array.from(table.tHead.rows[0].cells).findIndex((c) => c.textContent === ${JSON.stringify(name)});
    return Array.from(table.tBodies[0].rows).filter((r) => !r.hidden).map((r) => r.cells[index] ? r.cells[index].textContent : '');
  })()`);
}

/** Whether texts are in order, compared as the page's script compares them (lower case, by code unit), one way or the other. */
function ordered(texts: readonly string[], direction: 1 | -1): boolean {
  return texts.every((t, i) => i === 0 || (direction === 1 ? (texts[i - 1] as string).toLowerCase() <= t.toLowerCase() : (texts[i - 1] as string).toLowerCase() >= t.toLowerCase()));
}

describe('the HTML report in headless Chromium', () => {
  it('Given the lab scanned with a hostile host When opened from file:// Then no error, no request but the file, the verdict, the charts, sorting, filtering, and no script of the server ran', async (t) => {
    const { page, errors, requests, dialogs } = await open(pathToFileURL(file).href);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [pathToFileURL(file).href]);
    const h1 = await page.locator('h1').textContent();
    assert.equal(h1, `mxready: ${report.summary.pass} of ${report.summary.targets} destinations ready for policy encrypt`);

    // The protocol chart: one bar per byProtocol key, widths proportional to the counts.
    const bars = await page.evaluate<{ key: string; width: number }[]>(`Array.from(document.querySelectorAll('#chart-protocols rect.bar')).map((r) => ({ key: r.getAttribute('data-key'), width: r.getBBox().width }))`);
    assert.deepEqual(bars.map((b) => b.key).sort(), Object.keys(report.summary.byProtocol).sort());
    const max = Math.max(...Object.values(report.summary.byProtocol));
    const widest = Math.max(...bars.map((b) => b.width));
    for (const bar of bars) assert.ok(Math.abs(bar.width / widest - (report.summary.byProtocol[bar.key ?? ''] ?? 0) / max) < 0.02, `bar ${bar.key}`);

    // Sorting: domain ascending, then descending; days remaining numerically.
    const domains = await column(page, 'domain');
    await page.click('#connections th:text-is("domain")');
    const ascending = await column(page, 'domain');
    assert.deepEqual([...ascending].sort(), [...domains].sort(), 'the same rows');
    assert.ok(ordered(ascending, 1), `ascending: ${ascending.join(', ')}`);
    assert.notDeepEqual(ascending, domains, 'the report order is not already sorted');
    await page.click('#connections th:text-is("domain")');
    const descending = await column(page, 'domain');
    assert.ok(ordered(descending, -1), `descending: ${descending.join(', ')}`);
    await page.click('#connections th:text-is("days remaining")');
    const days = (await column(page, 'days remaining')).filter((d) => d !== '—').map(Number);
    assert.ok(days.length > 3 && days.some((d) => d < 0), 'an expired certificate is among them');
    assert.deepEqual(days, [...days].sort((a, b) => a - b));

    // Filtering narrows the rows.
    const all = (await column(page, 'domain')).length;
    await page.fill('#filter', 'plaintext');
    const narrowed = await column(page, 'domain');
    assert.ok(narrowed.length > 0 && narrowed.length < all);
    assert.ok(narrowed.every((d) => d.includes('plaintext') || d.includes('backup')), narrowed.join(', '));
    await page.fill('#filter', '');

    // The hostile host's subject is text on the page; nothing of it ran.
    const subject = report.targets.at(-1)?.mx[0]?.addresses[0]?.probe.certificate?.subject ?? '';
    assert.match(subject, /script\\?>window\.__pwned=1/, 'the scan kept the hostile subject (RFC 4514 escaped)');
    assert.ok(((await page.locator('#connections').textContent()) ?? '').includes(subject), 'shown as text');
    assert.equal(await page.evaluate<string>('typeof window.__pwned'), 'undefined');
    assert.deepEqual(dialogs, []);

    await page.close();
    // The screenshot of a page as it opens: report order, scrolled to the top.
    const fresh = await open(pathToFileURL(file).href);
    const png = join(ARTIFACTS, 'html-report.png');
    await fresh.page.screenshot({ path: png, fullPage: true });
    t.diagnostic(`screenshot: ${png}`);
    await fresh.page.close();
  });

  it('Given synthetic reports of 10³, 10⁴ and 5×10⁴ connection rows Then each loads and sorts; the sizes and times are printed', async (t) => {
    for (const rows of [1_000, 10_000, 50_000]) {
      const resolved: ResolvedTarget[] = Array.from({ length: rows }, (_, i) => ({
        input: `d${i}.example`, domain: `d${i}.example`, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
        hosts: [{ name: `mx${i % 97}.p${i % 13}.example`, preference: 10, addresses: [`9.${Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`] }],
      }));
      const plan = planScan(resolved, { allowPrivate: false });
      const variants: ProbeResult[] = [okProbe(), okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) })];
      const big = reportFrom(plan, new Map(plan.probes.map((p, i) => [p.key, variants[i % 2] as ProbeResult])), PRESETS.encrypt);
      const path = join(ARTIFACTS, `html-${rows}.html`);
      writeFileSync(path, render(big, 'html', { color: false }));
      const { page, errors, loadMs } = await open(pathToFileURL(path).href);
      assert.deepEqual(errors, []);
      assert.equal(await page.evaluate<number>(`document.querySelectorAll('#connections tbody tr').length`), rows);
      const sortMs = await page.evaluate<number>(`(() => {
        const th = Array.from(document.querySelectorAll('#connections th')).find((h) => h.textContent === 'days remaining');
        th.click();
        const domain = Array.from(document.querySelectorAll('#connections th')).find((h) => h.textContent === 'domain');
        const started = performance.now();
        domain.click();
        return performance.now() - started;
      })()`);
      assert.equal(await page.evaluate<string>(`document.querySelector('#connections tbody tr td').textContent`), 'd0.example');
      assert.equal(await page.evaluate<string>(`document.querySelector('#connections tbody tr:last-child td').textContent`), rows === 1_000 ? 'd999.example' : 'd9999.example');
      t.diagnostic(`${rows} rows: ${(statSync(path).size / 1048576).toFixed(1)} MiB, DOMContentLoaded ${loadMs.toFixed(0)} ms, one sort ${sortMs.toFixed(0)} ms`);
      await page.close();
      rmSync(path, { force: true });
    }
  });
});
