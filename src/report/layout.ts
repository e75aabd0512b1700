/**
 * Text laid out for a terminal of a given width, counted in terminal columns:
 * wide characters take 2, combining marks and colour codes 0 (string-width, the
 * measure terminals and cli-table3 use; hand-written tables of East Asian widths
 * and emoji sequences would go stale). Words are wrapped at spaces, and a word
 * longer than the line is broken, so no line is ever wider than asked.
 */
import stringWidth from 'string-width';

export const MIN_WIDTH = 80;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]+/g;
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Widths of the graphemes met so far (a report repeats the same few; bounded, so hostile text cannot grow it). */
const clusterWidths = new Map<string, number>();

function clusterWidth(cluster: string): number {
  let width = clusterWidths.get(cluster);
  if (width === undefined) {
    width = stringWidth(cluster);
    if (clusterWidths.size < 4096) clusterWidths.set(cluster, width);
  }
  return width;
}

/**
 * The graphemes of `text` with their widths. Printable ASCII characters are
 * graphemes of width 1 on their own; only the runs around other characters go
 * through the (slow) segmenter, with one character either side, since a mark
 * joins the character before it and a prepended sign the one after.
 */
function* graphemes(text: string): Generator<readonly [string, number]> {
  let at = 0;
  for (const run of text.matchAll(NOT_PRINTABLE_ASCII)) {
    const from = Math.max(at, run.index - 1);
    const end = run.index + run[0].length;
    for (let i = at; i < from; i += 1) yield [text.charAt(i), 1];
    const upTo = Math.min(text.length, end + 1);
    at = upTo;
    for (const { segment, index } of GRAPHEMES.segment(text.slice(from, upTo))) {
      // The printable character after the run, standing alone, is left to the next round.
      if (from + index === end && segment.length === 1) {
        at = end;
        break;
      }
      yield [segment, clusterWidth(segment)];
    }
  }
  for (let i = at; i < text.length; i += 1) yield [text.charAt(i), 1];
}

/** Terminal columns a text takes (printable ASCII, nearly all of a report, is counted without string-width's work). */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  if (text.includes('\x1b')) return stringWidth(text);
  let width = 0;
  for (const [, w] of graphemes(text)) width += w;
  return width;
}

/** Characters after which a long word breaks best (a finding id, a host name, a path). */
const BREAK_AFTER = new Set(['.', '-', '_', '/', ':', ',']);

/**
 * Splits a word longer than `width` into pieces of at most `width` columns:
 * after the last '.', '-', '_', '/', ':' or ',' that fits, when there is one in
 * the piece's second half, else grapheme by grapheme.
 */
function breakWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let piece: [string, number][] = [];
  let used = 0;
  const flush = (): void => {
    let cut = piece.length;
    for (let i = piece.length - 1; i >= Math.ceil(piece.length / 2); i -= 1) {
      if (BREAK_AFTER.has(piece[i]?.[0] ?? '')) {
        cut = i + 1;
        break;
      }
    }
    pieces.push(piece.slice(0, cut).map(([g]) => g).join(''));
    piece = piece.slice(cut);
    used = piece.reduce((n, [, w]) => n + w, 0);
  };
  for (const [segment, w] of graphemes(word)) {
    while (used + w > width && piece.length > 0) flush();
    piece.push([segment, w]);
    used += w;
  }
  if (piece.length > 0) pieces.push(piece.map(([g]) => g).join(''));
  return pieces;
}

/**
 * The lines of `text` wrapped to `width` columns (`restWidth` for the lines after
 * the first, when they have less or more room): at spaces where it can, and
 * inside a word where it must. Existing line breaks are kept. Never returns a
 * line wider than its width (a single character wider than it stands alone).
 */
export function wrap(text: string, width: number, restWidth = width): string[] {
  const out: string[] = [];
  const room = (): number => Math.max(1, out.length === 0 ? width : restWidth);
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      // Two spaces in a row stay two, where the line has room.
      if (word === '' && line !== '' && displayWidth(line) < room()) line += ' ';
      const rest = word;
      while (rest !== '') {
        const candidate = line === '' ? rest : `${line} ${rest}`;
        if (displayWidth(candidate) <= room()) {
          line = candidate;
          break;
        }
        if (line !== '') {
          out.push(line);
          line = '';
          continue;
        }
        // An empty line and a word that does not fit: as much of it as fits, then the rest in pieces of the
        // following lines' width, the last piece left open for the next word.
        const [head = '', ...tail] = breakWord(rest, room());
        out.push(head);
        const pieces = tail.length === 0 ? [] : breakWord(tail.join(''), room());
        out.push(...pieces.slice(0, -1));
        line = pieces[pieces.length - 1] ?? '';
        break;
      }
    }
    out.push(line);
  }
  return out;
}

/** `text` wrapped to `width` with a hanging indent: the first line after `first`, the others after `rest`. */
export function hanging(first: string, rest: string, text: string, width: number): string[] {
  return wrap(text, width - displayWidth(first), width - displayWidth(rest)).map((line, i) => `${i === 0 ? first : rest}${line}`);
}

/** Pads `text` with spaces to `width` columns. */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export interface Column {
  readonly header: string;
  /** Fixed width, or the share of what is left once the fixed columns are placed. */
  readonly width?: number;
  readonly flex?: number;
}

/**
 * Column widths for a total of `width` columns with `gap` spaces between them:
 * fixed ones as asked, the rest shared by flex. Flexible columns never get less
 * than 8.
 */
export function columnWidths(columns: readonly Column[], width: number, gap: number): number[] {
  const fixed = columns.reduce((n, c) => n + (c.width ?? 0), 0);
  const flexTotal = columns.reduce((n, c) => n + (c.width === undefined ? (c.flex ?? 1) : 0), 0);
  const left = Math.max(0, width - fixed - gap * (columns.length - 1));
  let given = 0;
  const flexible = columns.filter((c) => c.width === undefined);
  return columns.map((c) => {
    if (c.width !== undefined) return c.width;
    const last = c === flexible[flexible.length - 1];
    const share = last ? left - given : Math.floor((left * (c.flex ?? 1)) / Math.max(1, flexTotal));
    given += share;
    return Math.max(8, share);
  });
}

/**
 * Rows laid out in columns of the given widths: each cell wrapped in its
 * column, a row as tall as its tallest cell. `paint` colours a cell's line after
 * layout (never changes its width).
 */
export function grid(rows: readonly (readonly string[])[], widths: readonly number[], gap: number, paint?: (row: number, column: number, line: string) => string): string[] {
  const out: string[] = [];
  rows.forEach((cells, r) => {
    const wrapped = widths.map((w, c) => wrap(cells[c] ?? '', w));
    const height = Math.max(...wrapped.map((lines) => lines.length));
    for (let i = 0; i < height; i += 1) {
      const parts = widths.map((w, c) => {
        const line = wrapped[c]?.[i] ?? '';
        const painted = paint && line !== '' ? paint(r, c, line) : line;
        return c === widths.length - 1 ? painted : painted + ' '.repeat(Math.max(0, w - displayWidth(line)));
      });
      out.push(parts.join(' '.repeat(gap)).trimEnd());
    }
  });
  return out;
}
