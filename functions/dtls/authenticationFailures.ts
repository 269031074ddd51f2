import { randomUUID } from 'node:crypto';
import type { EventData } from '../../events/catalog/index.ts';
import { deviceStreamId } from '../bootstrap/bootstrapStreams.ts';
import { bridgeActor, derivedEvent } from '../shared/derivedEvent.ts';
import type { AppendRequest } from '../eventStore/eventStore.ts';
import {
  createAuthenticationFailureLimiter,
  type AuthenticationFailureLimiter,
  type AuthenticationFailureLimiterOptions,
  type AuthenticationFailureReport,
} from './authenticationFailureLimiter.ts';

// The limiter moved to its own file so the standalone bridge can publish through it; these stay importable from here.
export {
  authenticationFailureOf,
  printableIdentity,
  type AuthenticationFailure,
  type AuthenticationFailureReport,
  type AuthenticationFailureStats,
} from './authenticationFailureLimiter.ts';

/** The limiter's options (window, bounds, isKnownDevice, log), with the store to append to. */
export interface AuthenticationFailureRecorderOptions extends Omit<AuthenticationFailureLimiterOptions, 'sink' | 'what'> {
  readonly bridgeId: string;
  /** The event store's append. */
  readonly append: (request: AppendRequest) => Promise<unknown>;
}

/** The limiter with the event store as its sink: record(), stats(), settled(), stop(). */
export type AuthenticationFailureRecorder = AuthenticationFailureLimiter;

/** Where a refusal of an identity no device holds is kept (cf. BootstrapRejected's `endpoint-<name>`). */
export const identityStreamId = (printable: string): string => `identity-${printable}`;

/**
 * The DeviceAuthenticationFailed append for one report, wherever it was made: by the embedded
 * recorder (below) or by a standalone bridge whose message the backend handles
 * (functions/bridgeMessages/bridgeAuthenticationFailed.ts). The device's stream when the report
 * names a device, `identity-<identity>` otherwise. The data is checked against the catalog here.
 */
export const authenticationFailedAppend = (
  report: AuthenticationFailureReport,
  bridgeId: string,
  id: { readonly idParts: readonly string[]; readonly correlationId: string },
): AppendRequest => {
  const data: EventData<'DeviceAuthenticationFailed'> = {
    ...(report.thingName === undefined ? {} : { thingName: report.thingName }),
    identity: report.identity,
    reason: report.reason,
    transport: 'coaps',
    bridgeId,
    remote: { address: report.remote.address, port: report.remote.port },
    ...(report.endpoint === undefined ? {} : { endpoint: report.endpoint }),
    attempts: report.attempts,
    firstAttemptAt: report.firstAttemptAt,
    lastAttemptAt: report.lastAttemptAt,
  };
  return {
    streamId: report.thingName === undefined ? identityStreamId(report.identity) : deviceStreamId(report.thingName),
    expectedVersion: 'any',
    events: [derivedEvent('DeviceAuthenticationFailed', data, id.idParts, bridgeActor(bridgeId), id.correlationId)],
  };
};

/**
 * Turns authentication failures into DeviceAuthenticationFailed events without letting a flood fill
 * the store: the shared limiter (authenticationFailureLimiter.ts) decides when, and each report it
 * lets through is appended. Its stats count events: `recorded` the store accepted, `sinkFailures`
 * appends that failed (or data the catalog refused, a bug here, not the peer's doing).
 */
export const createAuthenticationFailureRecorder = (options: AuthenticationFailureRecorderOptions): AuthenticationFailureRecorder => {
  // Event ids: unique per recorder run and event, never derived from the (attacker-chosen) identity alone.
  const run = randomUUID();
  let sequence = 0;
  const { bridgeId, append, ...limits } = options;
  return createAuthenticationFailureLimiter({
    ...limits,
    what: 'a DeviceAuthenticationFailed event',
    sink: (report) => {
      sequence += 1;
      return append(authenticationFailedAppend(report, bridgeId, { idParts: [run, String(sequence)], correlationId: `authentication-${run}-${sequence}` }));
    },
  });
};
