import { randomUUID } from 'node:crypto';
import { startBridge, type Bridge, type BridgeOptions, type Handled } from '../../functions/bridge/bridge.ts';
import { createEmbeddedBroker, type EmbeddedBroker, type InboundMessage } from '../../functions/broker/embeddedBroker.ts';
import { fleetPrincipals } from '../../functions/broker/principals.ts';
import type { Lwm2mLog } from '../../functions/lwm2m/log.ts';
import type { Lwm2mServerOptions } from '../../functions/lwm2m/lwm2mServer.ts';
import { createCa, issueBridgeCertificate, issueServerCertificate, type LocalCa } from '../../functions/registry/localCa.ts';
import { CommandResponseMessage, type CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import { topics } from '../../schemas/topics/topics.ts';
import { within } from '../broker/support.ts';

export { within };

/** Every line a log received, kept for assertions (nothing printed). */
export const recordingLog = () => {
  const lines: { level: 'info' | 'warn' | 'error'; details: Record<string, unknown>; message: string }[] = [];
  const record = (level: 'info' | 'warn' | 'error') => (details: object, message: string) => {
    lines.push({ level, details: details as Record<string, unknown>, message });
  };
  const log: Lwm2mLog = { info: record('info'), warn: record('warn'), error: record('error') };
  return { log, lines, text: () => lines.map((l) => `${l.message} ${safeJson(l.details)}`).join('\n') };
};

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
  } catch {
    return String(value);
  }
};

/**
 * A broker as the backend runs it: the embedded broker over mutual TLS with the real bridge policy,
 * and its server-side hook (what the backend's modules use) recording every message a client
 * published. Commands go out through the broker's server-side publish, as the commands module sends them.
 */
export const startBackend = async () => {
  const ca: LocalCa = await createCa();
  const serverCert = await issueServerCertificate(ca);
  const received: InboundMessage[] = [];
  const waiters: { match: (m: InboundMessage) => boolean; resolve: (m: InboundMessage) => void }[] = [];
  const broker: EmbeddedBroker = createEmbeddedBroker({
    port: 0,
    ca: ca.certificatePem,
    cert: serverCert.certificatePem,
    key: serverCert.privateKeyPem,
    // Every certificate this CA issued is registered: the tests are about the bridge, not the registry.
    lookup: fleetPrincipals({ isRegistered: () => true }),
    log: { warn: () => undefined, error: () => undefined },
  });
  broker.onPublish((m) => {
    received.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const port = await broker.start();

  /** The first message (already received or still to come) that matches. */
  const next = (what: string, match: (m: InboundMessage) => boolean, ms = 8_000): Promise<InboundMessage> => {
    const seen = received.find(match);
    if (seen) return Promise.resolve(seen);
    return within(ms, what, new Promise<InboundMessage>((resolve) => waiters.push({ match, resolve })));
  };

  const answersTo = (commandId: string) =>
    received.filter((m) => m.route?.kind === 'command-response' && m.route.commandId === commandId).map((m) => CommandResponseMessage.parse(JSON.parse(m.payload.toString('utf8'))));

  return {
    ca,
    broker,
    port,
    url: `mqtts://127.0.0.1:${port}`,
    received,
    next,
    /** Bridge event `event` about `thingName` from `bridgeId`, parsed as JSON unless it is SenML. */
    nextEvent: (bridgeId: string, event: string, thingName: string, after = 0) =>
      next(`${event} of ${thingName} from bridge ${bridgeId}`, (m) => received.indexOf(m) >= after && m.topic === `dt/lwm2m-bridge/${bridgeId}/${event}/${thingName}`),
    /** Publishes a command as the backend does; resolves with its id. */
    command: async (thingName: string, body: Partial<CommandRequestMessage> & Pick<CommandRequestMessage, 'operation' | 'path'>, raw?: string) => {
      const commandId = body.commandId ?? `c-${randomUUID()}`;
      const now = Date.now();
      const message = { commandId, requestedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), ...body };
      await broker.publish({ topic: topics.commandRequest(thingName, commandId), payload: raw ?? JSON.stringify(message), qos: 1 });
      return commandId;
    },
    answersTo,
    /** Resolves with every answer to the command once one with `status` has arrived. */
    untilAnswer: async (commandId: string, status: CommandResponseMessage['status'] | 'final') => {
      await next(`a "${status}" answer to ${commandId}`, (m) => {
        if (m.route?.kind !== 'command-response' || m.route.commandId !== commandId) return false;
        const s = (JSON.parse(m.payload.toString('utf8')) as { status: string }).status;
        return status === 'final' ? s === 'succeeded' || s === 'failed' : s === status;
      });
      return answersTo(commandId);
    },
    close: () => broker.close(),
  };
};

export type Backend = Awaited<ReturnType<typeof startBackend>>;

/** Short CoAP timing: a CON nobody acknowledges fails after 50 + 100 + 200 ms. */
export const FAST_TIMING: Lwm2mServerOptions['timing'] = { ackTimeoutMs: 50, ackRandomFactor: 1, maxRetransmit: 2, maxLatencyMs: 500 };

/** A bridge with its own certificate and its own LwM2M server on an ephemeral loopback port. */
export const startTestBridge = async (backend: Backend, bridgeId: string, extra: Partial<BridgeOptions> & { lwm2m?: Lwm2mServerOptions } = {}) => {
  const cert = await issueBridgeCertificate(backend.ca, bridgeId);
  const { log, lines, text } = recordingLog();
  const { lwm2m, ...rest } = extra;
  const bridge: Bridge = await startBridge({
    bridgeId,
    mqtt: { url: backend.url, ca: backend.ca.certificatePem, cert: cert.certificatePem, key: cert.privateKeyPem, reconnectPeriodMs: 100 },
    lwm2m: { port: 0, timing: FAST_TIMING, random: () => 0, log, ...lwm2m },
    log,
    ...rest,
  });
  return { bridge, cert, lines, logText: text, port: bridge.server.address().port };
};

/** The next `handled` report from a bridge that matches. */
export const nextHandled = (bridge: Bridge, what: string, match: (h: Handled) => boolean, ms = 8_000): Promise<Handled> =>
  within(
    ms,
    what,
    new Promise<Handled>((resolve) => {
      const listener = (h: Handled) => {
        if (!match(h)) return;
        bridge.events.off('handled', listener);
        resolve(h);
      };
      bridge.events.on('handled', listener);
    }),
  );

export const json = (m: InboundMessage): Record<string, unknown> => JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>;
