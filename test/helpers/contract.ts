/** The report contract checker lives in src (mxready report uses it); the tests use the same one. */
export { contractViolations } from '../../src/report/validate.js';
