import type { DemoProgress } from './demoProgress.ts';

export interface SummaryInput {
  readonly elapsedMs: number;
  readonly figures: ReturnType<DemoProgress['figures']>;
  /** The API's base URL. */
  readonly url: string;
  readonly viewerToken: string;
  readonly tokenExpiresAt: Date;
  /** The device the demo heated up: its state, history and alarms are the interesting ones. */
  readonly device: string;
  readonly tenant: string;
  readonly thingGroup: string | undefined;
  readonly batchId: string;
}

const q = (url: string): string => `'${url.replace(/'/g, `'\\''`)}'`;

/** What the demo prints once its first minute is up: the figures, and where to look, ready to paste. */
export const summaryLines = (s: SummaryInput): string[] => {
  const f = s.figures;
  const seconds = Math.round(s.elapsedMs / 1000);
  const look: [string, string][] = [
    ['every device (directory)', `${s.url}/devices?limit=50`],
    [`tenant ${s.tenant}`, `${s.url}/devices?tenant=${encodeURIComponent(s.tenant)}&limit=50`],
    ...(s.thingGroup === undefined ? [] : ([[`thing group ${s.thingGroup}`, `${s.url}/devices?thingGroup=${encodeURIComponent(s.thingGroup)}`]] as [string, string][])),
    [`${s.device}: state`, `${s.url}/devices/${encodeURIComponent(s.device)}/state`],
    [`${s.device}: history`, `${s.url}/devices/${encodeURIComponent(s.device)}/history?direction=backwards&limit=20`],
    [`${s.device}: alarms`, `${s.url}/devices/${encodeURIComponent(s.device)}/alarms`],
    ['the provisioning report', `${s.url}/provisioning/batches/${s.batchId}/report`],
  ];
  const width = Math.max(...look.map(([label]) => label.length));
  return [
    '',
    `--- after ${seconds} s ---`,
    `  devices: ${f.provisioned}/${f.total} provisioned, ${f.registered} registered, ${f.bootstrapped} bootstrapped, ${f.connected} connected, ${f.reporting} sending data`,
    `  messages: ${f.stored} stored (${f.acknowledged} acknowledged to the devices), ${f.alarms} alarm${f.alarms === 1 ? '' : 's'} raised`,
    `  Look at them with the viewer token (valid until ${s.tokenExpiresAt.toISOString()}):`,
    `  export TOKEN=${s.viewerToken}`,
    ...look.map(([label, url]) => `  ${label.padEnd(width)}  curl -s -H "Authorization: Bearer $TOKEN" ${q(url)}`),
    '  The demo keeps running: Ctrl-C stops the devices and the system.',
    '',
  ];
};
