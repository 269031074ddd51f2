import { randomUUID } from 'node:crypto';
import type { OutgoingRequest } from './coap/endpoint.ts';
import { formatCode, isSuccess, type CoapMessage } from './coap/message.ts';
import { Option, uintOption } from './coap/options.ts';
import { payloadOf, type Lwm2mResponse } from './deviceManagement.ts';
import { NotificationStream } from './notificationStream.ts';
import type { Payload } from './payload.ts';
import { peerKey, type PeerAddress } from './transport.ts';

/** One notification, as the stream and the `notification` event carry it. */
export interface Notification {
  readonly endpoint: string;
  readonly registrationId: string;
  readonly observationId: string;
  readonly path: string;
  /** '2.05', or an error code that ended the observation. */
  readonly code: string;
  readonly payload?: Payload;
  /** The Observe sequence number (RFC 7641 §3.4); absent in a final notification. */
  readonly sequence?: number;
  /** The device ended the observation with this one (an error code, or no Observe option). */
  readonly final: boolean;
  readonly receivedAt: string;
}

export type ObservationEnd = 'cancelled' | 'ended-by-device' | 'deregistered' | 'expired' | 'replaced' | 'server-closed' | 'not-observable';

export interface Observation {
  readonly id: string;
  readonly endpoint: string;
  readonly path: string;
  /** The first answer (the current value). */
  readonly initial: Lwm2mResponse;
  /** False when the device answered without an Observe option: the resource cannot be observed, the stream is empty. */
  readonly established: boolean;
  readonly notifications: AsyncIterable<Notification>;
  /** Resolves with the reason once the observation is over (the stream then ends after its buffer). */
  readonly ended: Promise<ObservationEnd>;
  /**
   * 'reset' (default): forget it here; the next notification is answered with RST (RFC 7641 §3.6).
   * 'get': send GET with Observe=1 on the same token and resolve with the device's answer.
   */
  cancel(mode?: 'reset' | 'get'): Promise<Lwm2mResponse | undefined>;
}

/** Server-side state of one observation, keyed by its token. */
export interface ObservationState {
  readonly id: string;
  readonly endpoint: string;
  readonly registrationId: string;
  readonly path: string;
  readonly token: Buffer;
  /** The GET Observe=0 request: block-wise completion of notifications repeats it without Observe. */
  readonly request: OutgoingRequest;
  readonly stream: NotificationStream<Notification>;
  /** Set when the request leaves: notifications must come from there. */
  peer: PeerAddress | undefined;
  lastSequence: number | undefined;
  lastAt: number;
  end: (reason: ObservationEnd) => void;
}

/** RFC 7641 §3.4: is notification (v2 at t2) newer than (v1 at t1)? 24-bit sequence with wrap-around, or 128 s later. */
export const isFresher = (v1: number, t1: number, v2: number, t2: number): boolean =>
  (v1 < v2 && v2 - v1 < 2 ** 23) || (v1 > v2 && v1 - v2 > 2 ** 23) || t2 > t1 + 128_000;

export class ObservationRegistry {
  private readonly byToken = new Map<string, ObservationState>();
  /** So de-registering one device does not scan every observation of the fleet. */
  private readonly byEndpoint = new Map<string, Set<ObservationState>>();

  get size(): number {
    return this.byToken.size;
  }

  create(args: {
    endpoint: string;
    registrationId: string;
    path: string;
    token: Buffer;
    request: OutgoingRequest;
    bufferSize: number;
    onDrop: () => void;
  }): { state: ObservationState; ended: Promise<ObservationEnd> } {
    let resolveEnded: (reason: ObservationEnd) => void = () => {};
    const ended = new Promise<ObservationEnd>((resolve) => (resolveEnded = resolve));
    const state: ObservationState = {
      id: randomUUID(),
      endpoint: args.endpoint,
      registrationId: args.registrationId,
      path: args.path,
      token: args.token,
      request: args.request,
      stream: new NotificationStream<Notification>(args.bufferSize, args.onDrop),
      peer: undefined,
      lastSequence: undefined,
      lastAt: 0,
      end: (reason) => {
        if (this.byToken.get(args.token.toString('hex')) === state) this.byToken.delete(args.token.toString('hex'));
        const ofEndpoint = this.byEndpoint.get(args.endpoint);
        ofEndpoint?.delete(state);
        if (ofEndpoint?.size === 0) this.byEndpoint.delete(args.endpoint);
        state.stream.end();
        resolveEnded(reason);
      },
    };
    this.byToken.set(args.token.toString('hex'), state);
    const ofEndpoint = this.byEndpoint.get(args.endpoint) ?? new Set<ObservationState>();
    ofEndpoint.add(state);
    this.byEndpoint.set(args.endpoint, ofEndpoint);
    return { state, ended };
  }

  /** The live observation a response from `peer` with this token belongs to. */
  match(peer: PeerAddress, token: Buffer): ObservationState | undefined {
    const state = this.byToken.get(token.toString('hex'));
    if (state === undefined || state.peer === undefined || peerKey(state.peer) !== peerKey(peer)) return undefined;
    return state;
  }

  forEndpoint(endpoint: string): ObservationState[] {
    return [...(this.byEndpoint.get(endpoint) ?? [])];
  }
}

/** Turns a notification message into what the stream carries. */
export const toNotification = (state: ObservationState, message: CoapMessage, receivedAt: string): Notification => {
  const sequence = uintOption(message, Option.OBSERVE);
  const payload = payloadOf(message);
  return {
    endpoint: state.endpoint,
    registrationId: state.registrationId,
    observationId: state.id,
    path: state.path,
    code: formatCode(message.code),
    ...(payload !== undefined ? { payload } : {}),
    ...(sequence !== undefined ? { sequence } : {}),
    final: !isSuccess(message.code) || sequence === undefined,
    receivedAt,
  };
};
