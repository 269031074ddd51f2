import { currentDefinition } from '../../events/catalog/index.ts';
import type { Actor } from '../../events/envelope.ts';
import { CommandResponseMessage } from '../../schemas/bridge/commandMessages.ts';
import type { BusEntry } from '../bus/bus.ts';
import { EventIdInOtherStreamError, InvalidAppendError, type EventStore } from '../eventStore/eventStore.ts';
import { UNATTRIBUTED_STREAM } from '../ingestion/appendIngestedEvent.ts';
import { messageIdOf, rejection } from '../ingestion/decodeDeviceMessage.ts';
import type { Clock } from '../shared/clock.ts';
import { describeIssues } from '../shared/middleware/parseInput.ts';
import { actorOfSender, decideAnswer, type AnswerSender } from './commandLifecycle.ts';
import { commandStreamId, decideAndAppend } from './commandStream.ts';

/** An answer as the broker hands it over: topic, parsed route, bytes and the sender's identity. */
export interface CommandAnswer {
  readonly topic: string;
  readonly thingName: string;
  readonly commandId: string;
  readonly payload: Buffer;
  readonly sender: { readonly kind: 'bridge' | 'device'; readonly thingName: string; readonly bridgeId?: string | undefined; readonly clientId: string };
  /** Client id + MQTT packet id: equal for a redelivery of the same message. */
  readonly deliveryKey?: string | undefined;
}

export type AnswerOutcome =
  | { readonly kind: 'applied'; readonly eventTypes: readonly string[] }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly reason: string };

export interface HandleAnswerDeps {
  readonly events: Pick<EventStore, 'append' | 'readStream'>;
  readonly clock: Clock;
}

class Refused extends Error {
  constructor(
    readonly stage: 'decode' | 'validate',
    message: string,
    /** Whether the command exists (the refusal is then kept in its stream, beside its lifecycle); undefined: not yet known. */
    readonly commandExists?: boolean,
  ) {
    super(message);
  }
}

const senderOf = (answer: CommandAnswer): AnswerSender => {
  if (answer.sender.kind === 'device') return { kind: 'device', thingName: answer.sender.thingName };
  if (!answer.sender.bridgeId) throw new Refused('validate', `bridge identity ${answer.sender.thingName} carries no bridge id`);
  return { kind: 'bridge', bridgeId: answer.sender.bridgeId };
};

const parse = (payload: Buffer): CommandResponseMessage => {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new Refused('decode', `not JSON: ${(err as Error).message}; a command answer is a JSON CommandResponseMessage (schemas/bridge)`);
  }
  const parsed = CommandResponseMessage.safeParse(json);
  if (!parsed.success) throw new Refused('validate', `not a CommandResponseMessage: ${describeIssues(parsed.error).map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
};

/**
 * The answers of bridges (and of devices answering their own commands) on
 * `cmd/lwm2m/<thing>/res/<commandId>`: schema-checked at this trust boundary, decided by the
 * command's lifecycle (commandLifecycle.ts) and appended to the command's stream. Anything that
 * cannot be applied (not JSON, not the schema, an unknown command, a bridge that was not asked, an
 * answer after the end) is kept as MessageRejected with its bytes and the reason: beside the
 * command when it exists, in the unattributed stream otherwise. Redelivery changes nothing: each
 * step and each rejection has an id derived from what it records.
 */
export const handleCommandAnswer =
  (deps: HandleAnswerDeps) =>
  async (answer: CommandAnswer): Promise<AnswerOutcome> => {
    const receivedAt = deps.clock.now();
    try {
      const message = parse(answer.payload);
      const sender = senderOf(answer);
      const decided = await decideAndAppend<AnswerOutcome>(deps.events, answer.commandId, (state) => {
        const decision = decideAnswer(state, { topicThing: answer.thingName, topicCommandId: answer.commandId, message, sender, receivedAt });
        if (decision.kind === 'apply') return { events: decision.events, result: { kind: 'applied', eventTypes: decision.events.map((e) => e.type) } };
        if (decision.kind === 'duplicate') return { events: [], result: { kind: 'duplicate' } };
        throw new Refused('validate', decision.reason, state !== undefined);
      });
      return decided;
    } catch (err) {
      if (err instanceof Refused) return reject(deps, answer, receivedAt, err.stage, err.message, err.commandExists);
      if (err instanceof InvalidAppendError) return reject(deps, answer, receivedAt, 'validate', `the answer cannot be stored: ${err.message}`, true);
      throw err;
    }
  };

const reject = async (deps: HandleAnswerDeps, answer: CommandAnswer, receivedAt: Date, stage: 'decode' | 'validate', reason: string, known: boolean | undefined): Promise<AnswerOutcome> => {
  // Bytes that could not even be read still belong beside the command named in their topic, when there is one.
  const commandExists = known ?? (await deps.events.readStream(commandStreamId(answer.commandId), { limit: 1 }))[0]?.type === 'CommandRequested';
  const message = { thingName: answer.thingName, topic: answer.topic, payload: answer.payload, receivedAt, deliveryKey: answer.deliveryKey };
  const entry: BusEntry = rejection(message, messageIdOf({ ...message, thingName: answer.sender.clientId }), stage, reason);
  const detail = entry.Detail as { eventId: string; messageId: string; data: unknown };
  const actor: Actor = answer.sender.kind === 'bridge' && answer.sender.bridgeId ? actorOfSender({ kind: 'bridge', bridgeId: answer.sender.bridgeId }) : { kind: 'device', id: answer.sender.thingName };
  try {
    await deps.events.append({
      streamId: commandExists ? commandStreamId(answer.commandId) : UNATTRIBUTED_STREAM,
      expectedVersion: 'any',
      events: [{ eventId: detail.eventId, type: 'MessageRejected', typeVersion: currentDefinition.get('MessageRejected')!.version, data: detail.data, actor, correlationId: answer.commandId }],
    });
  } catch (err) {
    // The same rejection was stored elsewhere first (the command appeared meanwhile): it is kept, once.
    if (!(err instanceof EventIdInOtherStreamError)) throw err;
  }
  return { kind: 'rejected', reason };
};
