import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROVISIONING_DEFINITION_FILE } from '../../functions/provisioning/provisioningTasks.ts';
import { issueDeviceCertificate, type LocalCa } from '../../functions/registry/localCa.ts';
import { loadConfig } from '../../infra/embedded/config.ts';
import { EMBEDDED_ROW_CONCURRENCY, provisioningModule, type RunningProvisioning } from '../../infra/embedded/modules/provisioning.ts';
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

interface BatchOutput {
  readonly provisioned: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly invalid: number;
}

/**
 * Puts the manifest into the uploads area (the path an S3 upload takes; the trigger starts the
 * workflow) and waits for its execution; throws unless it SUCCEEDED. Returns CompleteBatch's counts.
 */
const uploadAndWait = async (system: EmbeddedSystem, provisioning: RunningProvisioning, batchId: string, body: string): Promise<BatchOutput> => {
  await system.objects.uploads.put(`manifests/${batchId}.csv`, body, { contentType: 'text/csv' });
  const execution = await provisioning.workflows.waitForCompletion(`arn:aws:states:local:000000000000:execution:provisioning:${batchId}`);
  if (execution.status !== 'SUCCEEDED') throw new Error(`batch ${batchId} ended ${execution.status} (${execution.error ?? ''}: ${execution.cause ?? ''})`);
  return execution.output as BatchOutput;
};

/** Keys and certificates issued by `inFlight` loops side by side (1: the plain serial loop). */
const rawIssue = async (ca: LocalCa, count: number, inFlight: number, prefix: string) => {
  let next = 0;
  const loop = async () => {
    while (next < count) await issueDeviceCertificate(ca, `${prefix}-${next++}`);
  };
  return (await timed(() => Promise.all(Array.from({ length: inFlight }, loop)))).ms;
};

/** The most keys the embedded workflow generates at once: Map MaxConcurrency chunks, each in a wave of EMBEDDED_ROW_CONCURRENCY rows. */
const workflowKeysInFlight = () => {
  const asl = JSON.parse(readFileSync(resolve(import.meta.dirname, '../..', PROVISIONING_DEFINITION_FILE), 'utf8')) as { States: { ProvisionChunks: { MaxConcurrency: number } } };
  return asl.States.ProvisionChunks.MaxConcurrency * EMBEDDED_ROW_CONCURRENCY;
};

export const provisionSuite: BenchSuite = {
  name: 'provision',
  description: 'manifest put into the uploads area → workflow → things, certificates, credentials, events, beside raw P-256 key + certificate issuance',
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

      // Baselines: what the provisioning path cannot avoid per device, a fresh key pair and a signed
      // certificate. The serial loop is the goal's baseline; the loop with as many keys in flight as
      // the workflow has at most (the crypto then overlaps on libuv's thread pool) is printed beside it.
      // Half of each is measured before the upload and half after, so load that changes while the
      // bench runs (a shared CI machine) weighs on both sides.
      const inFlight = workflowKeysInFlight();
      const half = Math.max(Math.ceil(good / 2), 1000);
      const raw = { serialMs: 0, parallelMs: 0 };
      const measureRaw = async (when: string) => {
        log(`baseline (${when}): ${half.toLocaleString('en-US')} P-256 keys + device certificates, serially, then ${inFlight} in flight`);
        raw.serialMs += await rawIssue(system.ca, half, 1, `raw-${when}`);
        raw.parallelMs += await rawIssue(system.ca, half, inFlight, `par-${when}`);
      };
      await measureRaw('before');

      log(`first upload: ${rows.toLocaleString('en-US')} rows, ${bad} bad`);
      const first = await timed(async () => uploadAndWait(system, running, 'b-bench-1', readFileSync(manifestFile, 'utf8')));
      const p = first.value;
      if (p.provisioned + p.invalid + p.updated + p.unchanged + p.failed !== rows || p.invalid !== bad || p.provisioned !== good || p.failed !== 0) {
        throw new Error(`first upload counted ${JSON.stringify(p)}; expected ${rows} rows, invalid ${bad}, provisioned ${good}, failed 0`);
      }
      const firstRate = rate(good, first.ms);
      await measureRaw('after');
      const serialRate = rate(2 * half, raw.serialMs);
      const parallelRate = rate(2 * half, raw.parallelMs);

      log('re-upload of the same manifest');
      const again = await timed(async () => uploadAndWait(system, running, 'b-bench-2', readFileSync(manifestFile, 'utf8')));
      const q = again.value;
      if (q.provisioned !== 0 || q.updated !== 0 || q.unchanged !== good || q.failed !== 0) {
        throw new Error(`re-upload counted ${JSON.stringify(q)}; expected provisioned 0, updated 0, unchanged ${good}, failed 0`);
      }

      const ratio = firstRate / serialRate;
      const metric = `provision ${rows.toLocaleString('en-US')}-row manifest (${bad} bad), upload → SUCCEEDED`;
      return [
        {
          metric,
          value: firstRate,
          unit: 'devices/s',
          baseline: 'raw P-256 key + certificate, serial loop',
          baselineValue: serialRate,
          ratio,
          goal: '>= 50% of raw (serial loop)',
          goalMet: ratio >= 0.5,
        },
        {
          metric,
          value: firstRate,
          unit: 'devices/s',
          baseline: `raw, ${inFlight} in flight (the workflow's most)`,
          baselineValue: parallelRate,
          ratio: firstRate / parallelRate,
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
