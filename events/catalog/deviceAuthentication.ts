import { z } from 'zod';
import { defineEvent } from './define.ts';
import { IsoTime, ThingName } from './common.ts';

/**
 * Why a peer failed to prove it is a device:
 * - `bad-psk`: its DTLS Finished did not authenticate under the key of the identity it claimed
 *   (a wrong key; bad_record_mac).
 * - `bad-finished`: the Finished authenticated but its verify_data was wrong (decrypt_error): the
 *   key was right, the handshake transcript was not (a broken client, or tampering on the path).
 * - `unknown-identity`: no device of the fleet holds the PSK identity it claimed, now
 *   (unknown_psk_identity): never provisioned, deprovisioned, or not yet provisioned.
 * - `endpoint-mismatch`: a DTLS session authenticated as one device registered under another
 *   device's endpoint name (LwM2M 4.03).
 */
export const AUTHENTICATION_FAILURE_REASONS = ['bad-psk', 'bad-finished', 'unknown-identity', 'endpoint-mismatch'] as const;
export type AuthenticationFailureReason = (typeof AUTHENTICATION_FAILURE_REASONS)[number];

/** Identities and endpoint names as printable ASCII: other bytes are written `\xNN` (and `\` as `\\`). */
const PrintableText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII, other bytes escaped as \\xNN');

/*
 * The fields below are shared with the bridge message that carries a refusal to the backend
 * (schemas/bridge/authenticationMessages.ts), so the two cannot drift apart. A stored event's shape
 * is never edited: change these only together with a new event version.
 */
/** A claimed PSK identity, printable (functions/dtls printableIdentity). */
export const AuthenticationIdentity = PrintableText(128);
/** An endpoint name a session tried to register as, printable. */
export const AuthenticationEndpoint = PrintableText(256);
/** Where an attempt came from. */
export const AuthenticationRemote = z.object({ address: z.string().min(1).max(64), port: z.number().int().min(0).max(65535) });

export const DeviceAuthenticationFailed = defineEvent(
  'DeviceAuthenticationFailed',
  1,
  z.object({
    /** The device the claimed identity (or the session) belongs to, when it is one the fleet knows. */
    thingName: ThingName.optional(),
    /** The PSK identity the peer claimed in its handshake. */
    identity: AuthenticationIdentity,
    reason: z.enum(AUTHENTICATION_FAILURE_REASONS),
    transport: z.literal('coaps'),
    /** The LwM2M server (bridge) that refused it. */
    bridgeId: z.string().min(1),
    /** Where the (last) attempt came from. The DTLS cookie exchange has proven the address answers. */
    remote: AuthenticationRemote,
    /** endpoint-mismatch: the endpoint name the session tried to register as. */
    endpoint: AuthenticationEndpoint.optional(),
    /**
     * How many refused attempts this event stands for: 1 when recorded as it happened, more when a
     * burst was rate limited and is summed up here (first and last attempt times bound it).
     */
    attempts: z.number().int().positive(),
    firstAttemptAt: IsoTime,
    lastAttemptAt: IsoTime,
  }),
  'A peer failed to prove it is a device over coaps (wrong PSK, unknown PSK identity, or a session registering under another endpoint name); it got no session or registration. Bursts are summed up in one event per identity per window.',
);
