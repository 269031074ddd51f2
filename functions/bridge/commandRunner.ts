import type { CommandRequestMessage, NotificationAttributes, PathValue } from '../../schemas/bridge/commandMessages.ts';
import { CodecError, decodePayload, encodePayload, parsePath, type ObjectModel } from '../../schemas/lwm2m/index.ts';
import type { Lwm2mResponse, WriteAttributes } from '../lwm2m/deviceManagement.ts';
import type { Lwm2mServer } from '../lwm2m/lwm2mServer.ts';
import type { Observation } from '../lwm2m/observations.ts';
import type { Registration } from '../lwm2m/registrations.ts';
import { toPathValue, toResourceValues } from './commandValues.ts';
import { contentFormatFor } from './contentFormat.ts';
import { failureOf, UnreadableAnswer } from './failureCode.ts';

/** How a command ended, before it becomes a CommandResponseMessage. */
export type CommandOutcome =
  /** lwm2mCode is absent when the bridge answered without asking the device (nothing to cancel). */
  | { readonly status: 'succeeded'; readonly lwm2mCode?: string; readonly values?: readonly PathValue[]; readonly links?: string; readonly message?: string }
  | { readonly status: 'failed'; readonly lwm2mCode: string; readonly message: string };

export interface CommandContext {
  readonly server: Lwm2mServer;
  readonly registration: Registration;
  readonly observations: ObservationBook;
  readonly model: ObjectModel | undefined;
  /** Seconds since 1970: resolves relative SenML times in what the device returns. */
  readonly nowSeconds: number;
  /** The device answered (success or error): a queue-mode device is awake now. */
  readonly heardFrom: () => void;
}

/**
 * The observations this bridge started, one per endpoint and path, so `cancel-observe` finds the
 * one to cancel. Their notifications reach MQTT through the server's `notification` event; the
 * per-observation stream is drained here only so that it never counts them as dropped.
 */
export class ObservationBook {
  private readonly byKey = new Map<string, Observation>();

  get size(): number {
    return this.byKey.size;
  }

  get(endpoint: string, path: string): Observation | undefined {
    return this.byKey.get(key(endpoint, path));
  }

  add(observation: Observation): void {
    const k = key(observation.endpoint, observation.path);
    this.byKey.set(k, observation);
    void (async () => {
      for await (const _ of observation.notifications) {
        // Relayed from the server's notification event; nothing to do per item.
      }
    })();
    void observation.ended.then(() => {
      if (this.byKey.get(k) === observation) this.byKey.delete(k);
    });
  }

  /** Forgets every observation locally (the server ends them when it closes). */
  async cancelAll(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.all(all.map((o) => o.cancel('reset').catch(() => undefined)));
  }
}

const key = (endpoint: string, path: string) => `${endpoint} ${path}`;

/** The device's values, typed: a payload that does not decode is the device's fault, reported as bad-payload. */
const valuesOf = (response: Lwm2mResponse, path: string, ctx: CommandContext): PathValue[] => {
  if (response.payload === undefined) return [];
  try {
    const decoded = decodePayload(response.payload.contentFormat, response.payload.bytes, path, {
      nowSeconds: ctx.nowSeconds,
      ...(ctx.model !== undefined ? { model: ctx.model } : {}),
    });
    return decoded.map(toPathValue);
  } catch (error) {
    if (error instanceof CodecError) throw new UnreadableAnswer(`the device answered ${response.code} with a payload that does not decode: ${error.message}`);
    throw error;
  }
};

/** The notification attributes as the server takes them; an absent one is left as it is on the device. */
const attributesOf = (attributes: NotificationAttributes): WriteAttributes => ({
  ...(attributes.pmin !== undefined ? { pmin: attributes.pmin } : {}),
  ...(attributes.pmax !== undefined ? { pmax: attributes.pmax } : {}),
  ...(attributes.gt !== undefined ? { gt: attributes.gt } : {}),
  ...(attributes.lt !== undefined ? { lt: attributes.lt } : {}),
  ...(attributes.st !== undefined ? { st: attributes.st } : {}),
});

/**
 * Write mode: `replace` is PUT, `partial` is POST. Without one, an instance is updated (only the
 * given resources change: the contract's default) and a resource is replaced (a plain Write).
 */
const writeModeOf = (message: CommandRequestMessage): 'replace' | 'update' => {
  if (message.writeMode === 'replace') return 'replace';
  if (message.writeMode === 'partial') return 'update';
  return parsePath(message.path).length >= 3 ? 'replace' : 'update';
};

const operate = async (message: CommandRequestMessage, ctx: CommandContext): Promise<CommandOutcome> => {
  const { server, registration } = ctx;
  const endpoint = registration.endpoint;
  const accept = contentFormatFor(registration);
  switch (message.operation) {
    case 'read': {
      const response = await server.read(endpoint, message.path, { accept });
      return { status: 'succeeded', lwm2mCode: response.code, values: valuesOf(response, message.path, ctx) };
    }
    case 'discover': {
      const response = await server.discover(endpoint, message.path);
      return { status: 'succeeded', lwm2mCode: response.code, links: Buffer.from(response.payload?.bytes ?? []).toString('utf8') };
    }
    case 'write': {
      const values = toResourceValues(message.path, message.values ?? [], ctx.model);
      const bytes = encodePayload(accept, values, { path: message.path });
      const response = await server.write(endpoint, message.path, { contentFormat: accept, bytes }, { mode: writeModeOf(message) });
      return { status: 'succeeded', lwm2mCode: response.code };
    }
    case 'execute': {
      const response = await server.execute(endpoint, message.path, message.arguments);
      return { status: 'succeeded', lwm2mCode: response.code };
    }
    case 'write-attributes': {
      const response = await server.writeAttributes(endpoint, message.path, attributesOf(message.attributes ?? {}));
      return { status: 'succeeded', lwm2mCode: response.code };
    }
    case 'observe': {
      // Observing again replaces the earlier observation: the device keeps one per path and token.
      await ctx.observations.get(endpoint, message.path)?.cancel('reset');
      const observation = await server.observe(endpoint, message.path, { accept });
      let values: PathValue[];
      try {
        values = valuesOf(observation.initial, message.path, ctx);
      } catch (error) {
        await observation.cancel('reset');
        throw error;
      }
      if (!observation.established) {
        return { status: 'failed', lwm2mCode: 'not-observable', message: `the device answered ${observation.initial.code} without Observe: ${message.path} cannot be observed` };
      }
      ctx.observations.add(observation);
      return { status: 'succeeded', lwm2mCode: observation.initial.code, values };
    }
    case 'cancel-observe': {
      const observation = ctx.observations.get(endpoint, message.path);
      if (observation === undefined) return { status: 'succeeded', message: `no observation of ${message.path} was active through this bridge: nothing to cancel` };
      const response = await observation.cancel('get');
      if (response === undefined) return { status: 'succeeded', message: 'the observation had already ended' };
      return { status: 'succeeded', lwm2mCode: response.code, values: valuesOf(response, message.path, ctx) };
    }
  }
};

/** Runs one command against the device; never rejects: every failure becomes a `failed` outcome. */
export const runCommand = async (message: CommandRequestMessage, ctx: CommandContext): Promise<CommandOutcome> => {
  try {
    const outcome = await operate(message, ctx);
    ctx.heardFrom();
    return outcome;
  } catch (error) {
    const failure = failureOf(error);
    // An error code or an unreadable answer came from the device: it is awake.
    if (/^\d\.\d\d$/.test(failure.lwm2mCode) || failure.lwm2mCode === 'bad-payload') ctx.heardFrom();
    return { status: 'failed', ...failure };
  }
};
