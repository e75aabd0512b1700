/**
 * The checks a scan runs, in order. A new check is a folder beside these, one
 * line here, its model types (src/model/) and its catalogue entries: nothing in
 * the pipeline or the evaluator changes (README.md in this folder).
 */
import { daneCheck } from './dane/check.js';
import { dnsCheck } from './dns/check.js';
import { enumerationCheck } from './enumeration/check.js';
import { mtaStsCheck } from './mta-sts/check.js';
import { protectionCheck } from './protection/check.js';
import { starttlsCheck } from './starttls/check.js';
import { tlsRptCheck } from './tls-rpt/check.js';
import type { Check } from './types.js';

export const DEFAULT_CHECKS: readonly Check[] = [starttlsCheck, enumerationCheck, daneCheck, dnsCheck, mtaStsCheck, tlsRptCheck, protectionCheck];

export { STARTTLS_CHECK_ID } from './starttls/check.js';
export type { AddressCheck, Check, CheckIo, DomainCheck, MxCheck } from './types.js';
