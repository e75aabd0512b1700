/**
 * The layering rules of src/, checked from the import lines alone (DESIGN.md
 * "Layers"): a pure function from file texts to violations, so a test can hold
 * the real tree to it and plant violations to show it catches them.
 *
 *   model ← net ← dns, tls ← smtp, http ← checks ← policy ← scan ← report ← lab ← cli
 *
 * - No file imports a higher layer, nor a different folder of its own rank
 *   (dns and tls do not import each other).
 * - No cycle between folders (each check's folder counts as its own).
 * - No check imports another check (the registry and the contract at the root
 *   of src/checks/ are shared).
 * - A check's rules (rules.ts, rules/) import only the model and each other.
 * - report/ imports only model/.
 * - src/index.ts may import anything.
 */
import { dirname, join, normalize, relative } from 'node:path';

export const LAYERS: readonly (readonly string[])[] = [['model'], ['net'], ['dns', 'tls'], ['smtp', 'http'], ['checks'], ['policy'], ['scan'], ['report'], ['lab'], ['cli']];

export interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly rule: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative specifiers a source file imports (static, re-exports, side-effect and dynamic imports). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec !== undefined && spec.startsWith('.')) out.push(spec);
  }
  return out;
}

function rankOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/**
 * Where a file sits: its top folder, and the unit folder cycles are counted
 * between (a check's folder, and each file at the root of src/checks/, are
 * units of their own). "src/checks/starttls/rules/session.ts" → checks,
 * checks/starttls (a check); src/index.ts → top "".
 */
function placeOf(file: string): { top: string; unit: string; check: boolean } {
  const parts = file.split('/').slice(1); // drop "src"
  if (parts.length === 1) return { top: '', unit: '', check: false };
  const top = parts[0] ?? '';
  if (top !== 'checks') return { top, unit: top, check: false };
  return parts.length > 2 ? { top, unit: `checks/${parts[1]}`, check: true } : { top, unit: `checks/${parts[1]}`, check: false };
}

function isRulesFile(file: string): boolean {
  return /^src\/checks\/[^/]+\/rules(\.ts$|\/)/.test(file);
}

/** Every violation in `files` (path relative to the repository, e.g. "src/scan/scan.ts" → its text). */
export function layerViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const edges = new Map<string, Set<string>>();
  for (const [file, source] of files) {
    const from = placeOf(file);
    for (const spec of importsOf(source)) {
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      const to = placeOf(target);
      const imports = relative('.', target);
      if (!target.startsWith('src/')) continue;
      if (from.top === '') continue; // src/index.ts: the public API may import anything
      if (to.top === '') {
        violations.push({ file, imports, rule: 'only src/index.ts is the entry point; nothing imports it' });
        continue;
      }
      const fromRank = rankOf(from.top);
      const toRank = rankOf(to.top);
      if (fromRank === -1 || toRank === -1) {
        violations.push({ file, imports, rule: `a folder outside the layers (${[from.top, to.top].filter((t) => rankOf(t) === -1).join(', ')})` });
        continue;
      }
      if (toRank > fromRank) violations.push({ file, imports, rule: `upward import: ${from.top} may not import ${to.top}` });
      else if (toRank === fromRank && to.top !== from.top) violations.push({ file, imports, rule: `sideways import: ${from.top} and ${to.top} share a layer` });
      if (from.check && to.check && from.unit !== to.unit) {
        violations.push({ file, imports, rule: `a check imports another check (${from.unit} → ${to.unit})` });
      }
      if (isRulesFile(file) && !(to.top === 'model' || (isRulesFile(target) && placeOf(target).unit === from.unit))) {
        violations.push({ file, imports, rule: 'a check\'s rules import only the model' });
      }
      if (from.top === 'report' && to.top !== 'model' && to.top !== 'report') {
        violations.push({ file, imports, rule: 'report/ imports only model/' });
      }
      if (from.unit !== to.unit) {
        let set = edges.get(from.unit);
        if (!set) edges.set(from.unit, (set = new Set()));
        set.add(to.unit);
      }
    }
  }
  for (const cycle of folderCycles(edges)) violations.push({ file: cycle[0] ?? '', imports: cycle.join(' → '), rule: 'folder cycle' });
  return violations;
}

/** Each cycle in the folder graph once, as the list of folders around it (first repeated at the end). */
function folderCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
