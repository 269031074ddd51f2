import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueDeviceCertificate } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../infra/embedded/system.ts';
import { rate, timed, type BenchResult, type BenchSuite } from '../lib/report.ts';

/** Every 50th row is bad (2%), alternating between the two kinds of problem validation must catch. */
const BAD_EVERY = 50;

/** A streetlight manifest as an operator would upload it; returns the CSV text and how many rows are good. */
const manifest = (rows: number) => {
  const lines = ['serial,tenant,latitude,longitude,kind'];
  let good = 0;
  for (let i = 0; i < rows; i++) {
    if (i % BAD_EVERY === BAD_EVERY - 1) {
      // Out-of-range latitude, or a missing tenant.
      lines.push((i / BAD_EVERY) % 2 < 1 ? `lamp-${i},city-of-lund,123.4,13.19,lamp` : `lamp-${i},,55.7,13.19,lamp`);
    } else {
      lines.push(`lamp-${i},city-of-lund,${(55.6 + (i % 1000) / 10_000).toFixed(4)},${(13.1 + Math.floor(i / 1000) / 1000).toFixed(4)},lamp`);
      good++;
    }
  }
  return { csv: lines.join('\n') + '\n', good };
};

interface Progress {
  readonly status: string;
  readonly totalRows?: number;
  readonly invalidRows?: number;
  readonly provisioned: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
}

/** POSTs the manifest and waits for its workflow execution; throws unless it SUCCEEDED. */
const uploadAndWait = async (system: EmbeddedSystem, provisioning: RunningProvisioning, body: string): Promise<Progress> => {
  const res = await fetch(`${system.url}/provisioning/manifests?name=lamps.csv`, { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
  if (res.status !== 202) throw new Error(`the manifest upload answered ${res.status}: ${await res.text()}`);
  const accepted = (await res.json()) as { batchId: string; status: string };
  const execution = await provisioning.workflows.waitForCompletion(`arn:aws:states:local:000000000000:execution:provisioning:${accepted.batchId}`);
  if (execution.status !== 'SUCCEEDED') throw new Error(`batch ${accepted.batchId} ended ${execution.status} (${execution.error ?? ''}: ${execution.cause ?? ''})`);
  return (await (await fetch(`${system.url}${accepted.status}`)).json()) as Progress;
};

export const provisionSuite: BenchSuite = {
  name: 'provision',
  description: 'manifest upload over HTTP → workflow → things, certificates, credentials, events, beside raw P-256 key + certificate issuance',
  async run({ quick, workDir, log }) {
    const rows = quick ? 500 : 10_000;
    const { csv, good } = manifest(rows);
    const bad = rows - good;
    // Written to disk and read back, so the timed upload starts from a file as the CLI's would.
    const manifestFile = join(workDir, 'lamps.csv');
    writeFileSync(manifestFile, csv);

    let provisioning: RunningProvisioning | undefined;
    const system = await startEmbeddedSystem(
      loadConfig({ FLEET_DATA_DIR: join(workDir, 'system'), FLEET_HTTP_PORT: '0', FLEET_MQTT_PORT: '0', FLEET_LOG_LEVEL: 'silent' }),
      { systemModules: [provisioningModule((p) => (provisioning = p))] },
    );
    try {
      if (!provisioning) throw new Error('the provisioning module did not start: check infra/embedded/modules/provisioning.ts');
      const running = provisioning;

      // Baseline: what the provisioning path cannot avoid per device, a fresh key pair and a signed certificate.
      const rawCount = Math.max(good, 2000);
      log(`baseline: ${rawCount.toLocaleString('en-US')} P-256 keys + device certificates`);
      const raw = await timed(async () => {
        for (let i = 0; i < rawCount; i++) await issueDeviceCertificate(system.ca, `raw-${i}`);
      });
      const rawRate = rate(rawCount, raw.ms);

      log(`first upload: ${rows.toLocaleString('en-US')} rows, ${bad} bad`);
      const first = await timed(async () => uploadAndWait(system, running, readFileSync(manifestFile, 'utf8')));
      const p = first.value;
      if (p.totalRows !== rows || p.invalidRows !== bad || p.provisioned !== good || p.failed !== 0) {
        throw new Error(`first upload counted ${JSON.stringify(p)}; expected totalRows ${rows}, invalidRows ${bad}, provisioned ${good}, failed 0`);
      }
      const firstRate = rate(good, first.ms);

      log('re-upload of the same manifest');
      const again = await timed(async () => uploadAndWait(system, running, readFileSync(manifestFile, 'utf8')));
      const q = again.value;
      if (q.provisioned !== 0 || q.updated !== 0 || q.unchanged !== good || q.failed !== 0) {
        throw new Error(`re-upload counted ${JSON.stringify(q)}; expected provisioned 0, updated 0, unchanged ${good}, failed 0`);
      }

      const ratio = firstRate / rawRate;
      return [
        {
          metric: `provision ${rows.toLocaleString('en-US')}-row manifest (${bad} bad), upload → SUCCEEDED`,
          value: firstRate,
          unit: 'devices/s',
          baseline: 'raw P-256 key + certificate loop',
          baselineValue: rawRate,
          ratio,
          goal: '>= 50% of raw',
          goalMet: ratio >= 0.5,
        },
        {
          metric: 're-upload of the same manifest (nothing created)',
          value: again.ms / 1000,
          unit: 's',
          baseline: 'first upload',
          baselineValue: first.ms / 1000,
          ratio: first.ms / again.ms,
        },
        {
          metric: 're-upload rate',
          value: rate(good, again.ms),
          unit: 'devices/s',
          baseline: 'first upload',
          baselineValue: firstRate,
          ratio: rate(good, again.ms) / firstRate,
        },
      ] satisfies BenchResult[];
    } finally {
      await system.stop();
    }
  },
};
