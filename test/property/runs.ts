/**
 * How many cases each property runs. `npm test` keeps them fast: 1,000 at
 * fast-check's default size and 10 at size 'max' (inputs up to 64 KB). `npm run
 * test:deep` (and CI) sets PROPERTY_RUNS=100000: 100,000 and 1,000.
 */
const requested = Number(process.env['PROPERTY_RUNS'] ?? 1_000);
export const RUNS = Number.isFinite(requested) && requested > 0 ? Math.floor(requested) : 1_000;
export const MAX_SIZE_RUNS = Math.max(1, Math.floor(RUNS / 100));
/** A fixed seed per run of the suite keeps failures reproducible from the printed seed. */
export const SEED = Number(process.env['PROPERTY_SEED'] ?? 20261129);
