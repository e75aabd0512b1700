import type { ProbeResult } from '../../model/probe.js';
import type { Finding } from '../../model/report.js';
import type { Policy } from '../presets.js';

/** What a rule sees: one probed address as reached through one MX entry. */
export interface AddressFacts {
  readonly host: string;
  readonly ip: string;
  readonly port: number;
  readonly probe: ProbeResult;
}

export type AddressRule = (facts: AddressFacts, policy: Policy) => Finding[];
