import type { DeviceStatus } from '../../events/projections/devices.ts';

export type BootstrapRejection = 'unknown-device' | 'deprovisioned' | 'already-bootstrapped' | 'not-active' | 'unauthenticated';

/** What the backend knows about the device when a bootstrap is asked for. */
export interface BootstrapFacts {
  /** From the device's own stream (the devices projection's fold); undefined: never provisioned. */
  readonly status: DeviceStatus | undefined;
  /** Its certificate is ACTIVE and attached to the thing (the registry). Unknown before it is asked. */
  readonly certificateActive?: boolean;
}

export interface BootstrapPolicy {
  /**
   * Deliver credentials to a device that came over plain CoAP, where any client may claim any
   * endpoint name. FLEET_BOOTSTRAP_OVER_PLAIN_COAP, false by default (ADR 0010).
   */
  readonly allowPlainCoap: boolean;
}

export type BootstrapDecision = { readonly decision: 'deliver' } | { readonly decision: 'reject'; readonly reason: BootstrapRejection };

/**
 * The one rule for who gets credentials, in the order a refusal is reported: strangers first
 * (nothing about the device is disclosed to an event reader beyond that), then devices that left
 * the fleet, then an unproven claim (plain CoAP while that is switched off), then devices that
 * already have credentials, then devices whose certificate cannot connect anyway.
 */
export const decideBootstrap = (facts: BootstrapFacts, transport: 'coap' | 'coaps', policy: BootstrapPolicy): BootstrapDecision => {
  if (facts.status === undefined) return { decision: 'reject', reason: 'unknown-device' };
  if (facts.status === 'deprovisioned') return { decision: 'reject', reason: 'deprovisioned' };
  if (transport === 'coap' && !policy.allowPlainCoap) return { decision: 'reject', reason: 'unauthenticated' };
  if (facts.status === 'bootstrapped') return { decision: 'reject', reason: 'already-bootstrapped' };
  if (facts.certificateActive === false) return { decision: 'reject', reason: 'not-active' };
  return { decision: 'deliver' };
};
