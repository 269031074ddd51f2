import type { MalformedKind } from './inboundMessage.ts';

/** What the bridge counts. Counters only grow; `held`, `observations` and `connected` are the current state. */
export interface BridgeStats {
  /** `inFlight` (awaiting PUBACK) and `queued` (waiting behind them) are the current state. */
  readonly mqtt: { connects: number; connected: boolean; published: number; publishFailures: number; received: number; inFlight: number; queued: number };
  /** Bridge events published, by event. */
  readonly relayed: { register: number; update: number; deregister: number; notify: number; send: number };
  /** Registrations and device data that could not be relayed: an endpoint name that is no thing name, a payload that does not decode. */
  notRelayed: number;
  readonly commands: {
    received: number;
    /** For a device this bridge's server does not hold: left to the bridge that holds it. */
    ignored: number;
    duplicate: number;
    /** Past expiresAt when it arrived or while the device slept: dropped without an answer. */
    expired: number;
    queued: number;
    dispatched: number;
    succeeded: number;
    failed: number;
  };
  readonly bootstrap: { received: number; expired: number; ok: number; failed: number };
  /** MQTT input refused at the trust boundary, by kind. */
  readonly malformed: Record<MalformedKind, number>;
  held: number;
  observations: number;
}

export const emptyBridgeStats = (): BridgeStats => ({
  mqtt: { connects: 0, connected: false, published: 0, publishFailures: 0, received: 0, inFlight: 0, queued: 0 },
  relayed: { register: 0, update: 0, deregister: 0, notify: 0, send: 0 },
  notRelayed: 0,
  commands: { received: 0, ignored: 0, duplicate: 0, expired: 0, queued: 0, dispatched: 0, succeeded: 0, failed: 0 },
  bootstrap: { received: 0, expired: 0, ok: 0, failed: 0 },
  malformed: { topic: 0, 'too-large': 0, json: 0, schema: 0, mismatch: 0 },
  held: 0,
  observations: 0,
});
