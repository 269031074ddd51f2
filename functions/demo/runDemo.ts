import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { BatchProgressSchema, ManifestAcceptedSchema } from '../api/openapi/apiSchemas.ts';
import type { Bus } from '../bus/bus.ts';
import { createApiClient, type ApiClient } from '../cli/apiClient.ts';
import { ApiError, CliError } from '../cli/cliErrors.ts';
import type { PeerAddress } from '../lwm2m/transport.ts';
import { DOMAIN_EVENT_SOURCE } from '../outbox/toBusEntry.ts';
import { DemoFleet } from './demoFleet.ts';
import { demoRows, describeRows, manifestNdjson, readSampleManifest } from './demoManifest.ts';
import { DemoProgress, WATCHED_EVENTS } from './demoProgress.ts';
import { summaryLines } from './demoSummary.ts';
import { openDeviceFlash } from './deviceFlash.ts';

export interface DemoOptions {
  readonly devices: number;
  readonly summaryAfterMs: number;
  readonly dataDir: string;
  /** The system's bus: the outbox publishes every stored event there. */
  readonly bus: Bus;
  /** The API's base URL, and tokens: admin to upload the manifest, viewer for the URLs it prints. */
  readonly url: string;
  readonly adminToken: string;
  readonly viewer: { readonly token: string; readonly expiresAt: Date };
  /** The LwM2M server's plain CoAP address. */
  readonly lwm2mServer: PeerAddress;
  /** Where devices reach the broker (what the bootstrap gives them). */
  readonly brokerUri: string;
  readonly out: (line: string) => void;
}

export interface RunningDemo {
  /** Rejects when a step failed (the message says what to do); resolves once the demo was stopped. */
  readonly finished: Promise<void>;
  /** Stops the devices (they de-register); the system is the caller's to stop afterwards. */
  stop(): Promise<void>;
}

/** State messages per device and period: enough to watch data arrive in the first minute. */
const PUBLISH_EVERY_MS = 5_000;
const ALARM_ABOVE_CELSIUS = 30;
/** How long after its first stored message the demo heats one device up. */
const HEAT_AFTER_MS = 5_000;
const HEAT_TO_CELSIUS = 36;
const POLL_MS = 300;
/** On AWS a batch id is unknown for a moment after the upload; embedded it is known at once, but the client should not care. */
const BATCH_START_GRACE_MS = 15_000;

const errorText = (error: unknown): string =>
  error instanceof CliError ? `${error.message}${error.hint ? ` ${error.hint}` : ''}` : error instanceof Error ? error.message : String(error);

/**
 * `npm start -- --demo`: once the system runs, uploads the sample manifest through the API, waits
 * for its batch, starts the simulated fleet against the embedded LwM2M server, and prints what
 * happens (functions/demo/README.md). Runs until stopped.
 */
export const startDemo = (options: DemoOptions): RunningDemo => {
  const started = Date.now();
  const abort = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  let fleet: DemoFleet | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let unsubscribe: () => void = () => undefined;
  let stopping: Promise<void> | undefined;
  const elapsed = () => Date.now() - started;
  const stamp = () => `[${`${Math.floor(elapsed() / 1000)}s`.padStart(5)}]`;
  const say = (line: string) => options.out(`${stamp()} ${line}`);
  const later = (ms: number, task: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!abort.signal.aborted) task();
    }, ms);
    timers.add(timer);
  };
  const server = `coap://${options.lwm2mServer.address.includes(':') ? `[${options.lwm2mServer.address}]` : options.lwm2mServer.address}:${options.lwm2mServer.port}`;

  const run = async (): Promise<void> => {
    say(`demo: plain CoAP (FLEET_LWM2M_PLAIN_COAP) and bootstrap over plain CoAP (FLEET_BOOTSTRAP_OVER_PLAIN_COAP) are on for this run, on loopback only: the simulated devices have no DTLS`);
    const rows = demoRows(await readSampleManifest(), options.devices);
    const progress = new DemoProgress(new Set(rows.map((r) => r.serial)));
    // The device the demo heats up: a district-heating substation in the sample, whatever the fleet size.
    const hot = rows[Math.min(3, rows.length - 1)]!;
    let heating = false;

    unsubscribe = options.bus.subscribe({
      name: 'demo-progress',
      pattern: { source: [DOMAIN_EVENT_SOURCE], 'detail-type': [...WATCHED_EVENTS] },
      target: (envelope) => {
        const data = envelope.detail['data'];
        const event = { type: envelope['detail-type'], data: typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {} };
        for (const line of progress.see(event)) say(line);
        if (!heating && event.type === 'DeviceStateReported' && progress.isReporting(hot.serial)) {
          heating = true;
          later(HEAT_AFTER_MS, () => {
            const device = fleet?.device(hot.serial);
            if (device === undefined) return;
            say(`heating ${hot.serial} (${hot.attributes['site'] ?? hot.tenant}) to ${HEAT_TO_CELSIUS} °C, a simulated fault: its alarm threshold is ${ALARM_ABOVE_CELSIUS} °C`);
            device.setTemperature(HEAT_TO_CELSIUS);
          });
        }
        return Promise.resolve();
      },
    });
    statusTimer = setInterval(() => {
      if (fleet !== undefined) progress.fleetCounters(fleet.counters());
      const line = progress.changedStatusLine(elapsed());
      if (line !== undefined) options.out(line);
    }, 1000);

    const api = createApiClient({ baseUrl: options.url, token: options.adminToken, tokenSource: "the demo's admin token" });
    const accepted = await api.json('POST', '/provisioning/manifests', ManifestAcceptedSchema, {
      query: { name: 'demo.ndjson' },
      body: manifestNdjson(rows),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    say(`uploaded the sample manifest (${describeRows(rows)}) as batch ${accepted.batchId}`);
    const batch = await waitForBatch(api, accepted.batchId, 60_000 + 200 * rows.length, abort.signal);
    if (batch.status !== 'SUCCEEDED') {
      throw new Error(
        `the provisioning batch ${batch.batchId} ended ${batch.status}${batch.error ? ` (${batch.error.name}${batch.error.cause ? `: ${batch.error.cause}` : ''})` : ''}. ` +
          `See GET ${options.url}/provisioning/batches/${batch.batchId}, fix the cause and start the demo again.`,
      );
    }
    const inFleet = batch.provisioned + batch.updated + batch.unchanged;
    progress.batchDone(inFleet);
    say(
      `batch ${batch.batchId} done: ${batch.provisioned} provisioned, ${batch.updated} updated, ${batch.unchanged} unchanged` +
        `${batch.failed > 0 ? `, ${batch.failed} failed (report: ${options.url}/provisioning/batches/${batch.batchId}/report)` : ''}` +
        `${batch.unchanged === rows.length ? ': every device was already in the fleet as the manifest describes it, nothing was provisioned again' : ''}`,
    );
    if (inFleet === 0) throw new Error(`no device of the manifest is in the fleet; the report says why: ${options.url}/provisioning/batches/${batch.batchId}/report`);

    const flash = openDeviceFlash(options.dataDir, say);
    const opened = await DemoFleet.open({
      thingNames: rows.map((r) => r.serial),
      server: options.lwm2mServer,
      brokerUri: options.brokerUri,
      flash,
      device: { publishEveryMs: PUBLISH_EVERY_MS, alarmAboveCelsius: ALARM_ABOVE_CELSIUS },
      onProblem: say,
    });
    if (abort.signal.aborted) {
      await opened.stop();
      return;
    }
    fleet = opened;
    if (opened.restored.length > 0) {
      progress.markRestored(opened.restored);
      say(`${opened.restored.length} of ${rows.length} devices kept the MQTT credentials of an earlier run (in ${flash.dir}): they connect without a new bootstrap`);
    }
    say(
      `starting ${rows.length} simulated devices against ${server}: each registers, ${opened.restored.length === rows.length ? 'reconnects' : 'gets its own certificate over LwM2M (bootstrap), connects'} to MQTT over TLS and publishes its temperature every ${PUBLISH_EVERY_MS / 1000} s`,
    );
    if (opened.sharedAddress && rows.length > 20) {
      say(`this system has only 127.0.0.1 for them all: past the first 20, devices start at 2 a second, the LwM2M server's limit on Registers from one address`);
    }
    opened.start();
    later(Math.max(0, options.summaryAfterMs - elapsed()), () => {
      progress.fleetCounters(opened.counters());
      for (const line of summaryLines({
        elapsedMs: elapsed(),
        figures: progress.figures(),
        url: options.url,
        viewerToken: options.viewer.token,
        tokenExpiresAt: options.viewer.expiresAt,
        device: hot.serial,
        tenant: hot.tenant,
        thingGroup: rows.find((r) => r.thingGroup !== undefined)?.thingGroup,
        batchId: batch.batchId,
      })) {
        options.out(line);
      }
    });
    await new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  };

  const finished = run().catch((error: unknown) => {
    if (abort.signal.aborted) return;
    throw new Error(`the demo stopped: ${errorText(error)}`, { cause: error });
  });

  return {
    finished,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        clearInterval(statusTimer);
        unsubscribe();
        await finished.catch(() => undefined);
        if (fleet !== undefined) {
          say(`stopping ${fleet.counters().devices} simulated devices (they de-register)`);
          await fleet.stop();
        }
      })();
      return stopping;
    },
  };
};

type Batch = z.infer<typeof BatchProgressSchema>;

/** Follows the batch until it ends, within `timeoutMs`. */
const waitForBatch = async (api: ApiClient, batchId: string, timeoutMs: number, signal: AbortSignal): Promise<Batch> => {
  const started = Date.now();
  for (;;) {
    try {
      const batch = await api.json('GET', `/provisioning/batches/${batchId}`, BatchProgressSchema);
      if (batch.status !== 'RUNNING') return batch;
    } catch (error) {
      const unknownYet = error instanceof ApiError && error.problem.status === 404 && Date.now() - started < BATCH_START_GRACE_MS;
      if (!unknownYet) throw error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`the provisioning batch ${batchId} did not finish within ${Math.round(timeoutMs / 1000)} s; follow it at GET /provisioning/batches/${batchId} and start the demo again once it is done`);
    }
    await sleep(POLL_MS, undefined, { signal });
  }
};
