/** File input for the CLI: targets, trust anchors, client certificates. Errors become one-line usage errors. */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { parseExclusions, type Exclusions } from '../scan/exclude.js';

/** Errno names in words, for one-line messages. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EBUSY: 'the file is busy',
  EMFILE: 'too many open files',
  EXDEV: 'not on the same file system',
  EIO: 'input/output error',
  EPIPE: 'the reader went away',
  ENXIO: 'no such device or address (a socket cannot be opened by name)',
};

/** Why a file operation failed, in words (the errno name only when it has none). */
export function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return ERRNO_WORDS[e.code] ?? e.code;
  return error instanceof Error ? error.message : String(error);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as UTF-8 text; bytes that are not UTF-8 (a binary file) are a usage error naming the first such line. */
function utf8Text(bytes: Buffer, name: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    let line = 1;
    for (let start = 0; start <= bytes.length; line += 1) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end < 0 ? bytes.length : end;
      try {
        UTF8.decode(bytes.subarray(start, stop));
      } catch {
        break;
      }
      start = stop + 1;
    }
    throw new UsageError(`${quoted(name)}:${line}: not UTF-8 text (a binary file?)`);
  }
}

/** Reads a file, or all of stdin for '-', as UTF-8 text. */
export async function readTextInput(path: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return utf8Text(Buffer.concat(chunks), '<stdin>');
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${quoted(path)}: ${reason(error)}`);
  }
  return utf8Text(bytes, path);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads a PEM file of trust anchors; each certificate must parse. */
export function readCaFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --ca-file ${quoted(path)}: ${reason(error)}`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new UsageError(`--ca-file ${quoted(path)}: no PEM certificate in it`);
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new UsageError(`--ca-file ${quoted(path)}: certificate ${index + 1} is not a valid X.509 certificate`);
    }
  });
  return blocks;
}

/** Reads --client-cert and --client-key; both or neither, and the key must belong to the certificate. */
export function readClientCertificate(certPath: string | undefined, keyPath: string | undefined): { certPem: string; keyPem: string } | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) throw new UsageError('--client-cert and --client-key go together');
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certPath, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --client-cert ${quoted(certPath)}: ${reason(error)}`);
  }
  try {
    keyPem = readFileSync(keyPath, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --client-key ${quoted(keyPath)}: ${reason(error)}`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new UsageError(`--client-cert ${quoted(certPath)}: not a PEM certificate`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new UsageError(`--client-key ${quoted(keyPath)}: not a PEM private key (an encrypted key is not supported)`);
  }
  if (!cert.checkPrivateKey(key)) throw new UsageError(`--client-key ${quoted(keyPath)} does not belong to --client-cert ${quoted(certPath)}`);
  return { certPem, keyPem };
}

/** The lines of a file (or stdin for "-"), as text, without holding them all; a read error is a usage error naming the file. */
export async function* textLines(path: string, stdin?: NodeJS.ReadableStream): AsyncGenerator<string> {
  const input = path === '-' && stdin !== undefined ? stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } catch (error) {
    throw new UsageError(`cannot read ${quoted(path)}: ${reason(error)}`);
  } finally {
    lines.close();
    if (input !== stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

/** Reads --exclude's opt-out list; a bad entry is a usage error naming the file and line. */
export function readExcludeFile(path: string): Exclusions {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read --exclude ${quoted(path)}: ${reason(error)}`);
  }
  return parseExclusions(utf8Text(bytes, path), path);
}

/** The first line of a file (at most 64 KiB of it), or '' when it cannot be read (the full read names the problem). */
export function firstLineOf(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(65_536);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, n).toString('utf8');
    const end = text.indexOf('\n');
    return end === -1 ? text : text.slice(0, end);
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
