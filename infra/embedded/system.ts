import type { DeviceRow } from '../../events/projections/devices.ts';
import type { PeerIdentity } from '../../functions/broker/principals.ts';
import type { EmbeddedConfig } from './config.ts';
import { mqttIngestionModule, type MqttIngestion } from './modules/mqttIngestion.ts';
import { loadOrCreateCa } from './pki.ts';
import { startRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';

export interface EmbeddedSystem extends Runtime {
  readonly mqtt: MqttIngestion;
}

/**
 * The whole embedded system with its default modules: what `npm start` runs and what end-to-end
 * tests start. Until the device registry lands, a device certificate is accepted when the devices
 * projection knows the thing, it is not deprovisioned, and the certificate is the one it was
 * provisioned with.
 */
export const startEmbeddedSystem = async (config: EmbeddedConfig, options: RuntimeOptions = {}): Promise<EmbeddedSystem> => {
  const ca = await loadOrCreateCa(config.dataDir);
  let mqtt: MqttIngestion | undefined;
  let isRegistered: (peer: PeerIdentity) => boolean = () => false;
  const runtime = await startRuntime(config, {
    ...options,
    modules: [
      mqttIngestionModule({ ca, host: config.mqtt.host, port: config.mqtt.port, isRegistered: (peer) => isRegistered(peer) }, (m) => (mqtt = m)),
      ...(options.modules ?? []),
    ],
  });
  isRegistered = (peer) => {
    const row = runtime.projectionStore.getRow('devices', peer.commonName) as DeviceRow | undefined;
    return row !== undefined && row.status !== 'deprovisioned' && row.certificateId !== undefined && row.certificateId === peer.certificateId;
  };
  if (!mqtt) throw new Error('the MQTT module did not start');
  return { ...runtime, mqtt };
};
