/**
 * mxready/lab: the embedded lab as a library, for trying mxready and for testing
 * what is built on it: a DNS server and SMTP servers of our own on loopback
 * (127.0.0.0/8), with certificates made at start-up. Nothing here dials out.
 */
export { startDemoLab, DEMO_ZONE, DEMO_TARGETS, type DemoLab } from './demo.js';
export { startLab, type LabSpec, type LabServerSpec, type RunningLab } from './lab.js';
export { startDnsServer, type LabDnsServer, type LabDnsServerOptions, type LabZoneRecord } from './dns-server.js';
export { startSmtpServer, type LabSmtpOptions, type LabSmtpServer } from './smtp-server.js';
export { createCa, createSelfSigned, type LabCa, type LabCertificate, type IssueOptions, type LabKeyType } from './certs.js';
export { startPolicyServer, type LabPolicyServer, type LabPolicyServerOptions, type LabPolicyResponse } from './policy-server.js';
export { startSyntheticDns, syntheticAddress, syntheticAnswer, SYNTHETIC_ZONE } from './synthetic.js';
