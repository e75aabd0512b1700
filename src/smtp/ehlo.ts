/**
 * Pure EHLO reply parsing (RFC 5321 §4.1.1.1): the first line names the server,
 * every later line is `ehlo-keyword *(SP ehlo-param)`. The keyword map is for
 * decisions inside the prober (is STARTTLS offered?); the report keeps the lines.
 */
import type { SmtpReply } from './reply-parser.js';

export interface EhloInfo {
  /** Upper-cased keyword → its parameters, in reply order; the first occurrence of a keyword wins. */
  readonly keywords: ReadonlyMap<string, readonly string[]>;
}

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** The keyword map of a 250 EHLO reply. Lines that are not `keyword *(SP param)` are left out. */
export function parseEhlo(reply: Pick<SmtpReply, 'lines'>): EhloInfo {
  const keywords = new Map<string, readonly string[]>();
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/[ \t]+/);
    if (keyword === undefined || !KEYWORD.test(keyword)) continue;
    const name = keyword.toUpperCase();
    if (!keywords.has(name)) keywords.set(name, params);
  }
  return { keywords };
}

/** Whether the server advertised STARTTLS as a keyword (never a substring match). */
export function hasStartTls(ehlo: EhloInfo): boolean {
  return ehlo.keywords.has('STARTTLS');
}

/** The extension lines of an EHLO reply as the report keeps them: every line after the first. */
export function extensionLines(reply: Pick<SmtpReply, 'lines'>): string[] {
  return reply.lines.slice(1);
}
