import { authenticationFailureOf, printableIdentity, type AuthenticationFailureLimiter } from './authenticationFailureLimiter.ts';
import type { RefusedHandshake } from './dtlsTransport.ts';

/** A warning that is rate limited per kind, as throttledWarn (functions/lwm2m/log.ts) makes one. */
export type KindedWarn = (kind: string, details: object, message: string) => void;

/**
 * The onHandshakeFailed callback the embedded runtime and the standalone bridge both give
 * openDtlsTransport: a wrong key or an unknown identity goes to the limiter (so to an event, or to
 * an auth-failed message, rate limited per identity), and every refusal gets a warning throttled per
 * reason. Timeouts, malformed hellos and the like are only warned about; every one of them is
 * counted in dtls.server.stats() anyway. The identity is logged printable: it is attacker bytes.
 */
export const reportRefusedHandshakes =
  (failures: Pick<AuthenticationFailureLimiter, 'record'>, warn: KindedWarn) =>
  (refused: RefusedHandshake): void => {
    const failure = authenticationFailureOf(refused);
    if (failure !== undefined) failures.record(failure);
    warn(
      `dtls-${refused.reason}`,
      {
        peer: `${refused.remote.address}:${refused.remote.port}`,
        ...(refused.identity === undefined ? {} : { identity: printableIdentity(refused.identity) }),
        detail: refused.detail,
      },
      'a DTLS handshake was refused',
    );
  };
