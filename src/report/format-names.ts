/**
 * The formats' names, in the order help lists them: what --format accepts, known
 * without loading a renderer (the command line's help needs only this). The
 * registry (./formats.ts) must give each one a renderer; the compiler checks it.
 */
export const FORMAT_NAMES = ['table', 'json'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];
