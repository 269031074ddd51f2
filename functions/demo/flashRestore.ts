import { randomBytes, randomInt } from 'node:crypto';
import { decodeCoap, encodeCoap } from '../lwm2m/coap/codec.ts';
import { Code, formatCode, Method } from '../lwm2m/coap/message.ts';
import { Option, option } from '../lwm2m/coap/options.ts';
import type { DatagramTransport, InboundDatagram, PeerAddress } from '../lwm2m/transport.ts';
import { CONTENT_FORMAT, encodePayload, MQTT_BROKER, type ResourceValue } from '../../schemas/lwm2m/index.ts';

/**
 * A simulated device's socket with a way to hand it one request that never crosses the network:
 * how the demo puts saved credentials back into a device before it starts (deviceFlash.ts).
 *
 * Why through the device's own CoAP layer: the simulator has no other way in to its object tree,
 * and a Create of /18830 is exactly what the bridge's bootstrap writes, so the device takes the
 * restored instance with all its usual checks (security mode, key format) and, registering
 * afterwards, shows `</18830/0>` like any device that kept its credentials. Its answer is caught
 * here and never sent, so the LwM2M server sees nothing of it.
 */
export interface TappedTransport extends DatagramTransport {
  /** Hands the device `request` as if `from` had sent it; resolves with the CoAP code of its answer (e.g. "2.01"). */
  deliverLocally(request: { readonly code: number; readonly path: readonly string[]; readonly contentFormat: number; readonly payload: Uint8Array }, from: PeerAddress): Promise<string>;
}

/** The device answers a piggybacked ACK within the same turn; this only bounds a bug. */
const LOCAL_ANSWER_TIMEOUT_MS = 2_000;

export const tapTransport = (inner: DatagramTransport): TappedTransport => {
  let receiver: (datagram: InboundDatagram) => void = () => {};
  const waiting = new Map<number, { readonly token: Buffer; readonly settle: (code: string) => void }>();
  inner.onDatagram((datagram) => receiver(datagram));
  return {
    send(bytes, to) {
      if (waiting.size > 0) {
        const decoded = decodeCoap(bytes);
        const wait = decoded.ok ? waiting.get(decoded.message.messageId) : undefined;
        if (decoded.ok && wait !== undefined && decoded.message.type === 'ACK' && decoded.message.token.equals(wait.token)) {
          waiting.delete(decoded.message.messageId);
          wait.settle(formatCode(decoded.message.code));
          return Promise.resolve();
        }
      }
      return inner.send(bytes, to);
    },
    onDatagram(next) {
      receiver = next;
    },
    localAddress: () => inner.localAddress(),
    close: () => inner.close(),
    deliverLocally(request, from) {
      // A fresh Message ID and token; the device remembers the ID for its duplicate detection, and a
      // server request that happened to reuse it within EXCHANGE_LIFETIME would be taken for a
      // repeat: one chance in 65,536 per request in the first four minutes, for a demo.
      const messageId = randomInt(0x10000);
      const token = randomBytes(8);
      const bytes = encodeCoap({
        type: 'CON',
        code: request.code,
        messageId,
        token,
        options: [...request.path.map((segment) => option(Option.URI_PATH, segment)), option(Option.CONTENT_FORMAT, request.contentFormat)],
        payload: request.payload,
      });
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(messageId);
          reject(new Error(`the device did not answer a local ${formatCode(request.code)} /${request.path.join('/')} within ${LOCAL_ANSWER_TIMEOUT_MS} ms`));
        }, LOCAL_ANSWER_TIMEOUT_MS);
        waiting.set(messageId, {
          token,
          settle: (code) => {
            clearTimeout(timer);
            resolve(code);
          },
        });
        receiver({ bytes, from });
      });
    },
  };
};

/**
 * Puts a saved 18830 instance 0 back into a device that has not started yet: a Create of /18830
 * in SenML CBOR (what LwM2M 1.1+ devices read), with the broker URI replaced by `brokerUri`, the
 * broker's address now (with FLEET_MQTT_PORT=0 it moves on every start). Resolves with the
 * device's code; anything but 2.01 means the device starts without credentials.
 */
export const restoreCredentials = (transport: TappedTransport, server: PeerAddress, saved: readonly ResourceValue[], brokerUri: string): Promise<string> => {
  const uriPath = `/${MQTT_BROKER.id}/0/${MQTT_BROKER.resources.find((r) => r.name === 'URI')?.id ?? 0}`;
  const values = saved.map((v): ResourceValue => (v.path === uriPath && v.type === 'String' ? { ...v, value: brokerUri } : v));
  const payload = encodePayload(CONTENT_FORMAT.SENML_CBOR, values, { path: `/${MQTT_BROKER.id}` });
  return transport.deliverLocally({ code: Method.POST, path: [String(MQTT_BROKER.id)], contentFormat: CONTENT_FORMAT.SENML_CBOR, payload }, server);
};

export const CREATED = formatCode(Code.CREATED);
