/** What every STARTTLS rule says first: where, as "host [ip]:port", and the finding's context. */
import type { AddressView, RuleFinding } from '../../../model/check.js';
import type { Severity } from '../../../model/report.js';

export function where(address: AddressView): string {
  return `${address.host} [${address.ip}]:${address.port}`;
}

export function at(address: AddressView): { host: string; ip: string; port: number } {
  return { host: address.host, ip: address.ip, port: address.port };
}

/** A finding at `context`, with `severity` in place of the catalogue's when a policy knob asks for it. */
export function finding(id: string, message: string, context: ReturnType<typeof at>, severity?: Severity): RuleFinding {
  return { id, message, ...context, ...(severity !== undefined ? { severity } : {}) };
}
