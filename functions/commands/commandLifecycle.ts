import type { DomainEvent } from '../../events/catalog/index.ts';
import type { Actor, NewEvent, StoredEvent } from '../../events/envelope.ts';
import { commandAuditProjection, isFinalStatus, type CommandAuditRow } from '../../events/projections/commandAudit.ts';
import type { CommandResponseMessage } from '../../schemas/bridge/commandMessages.ts';
import { commandEvent, COMMANDS_ACTOR } from './commandEvents.ts';

/**
 * The command's life as a pure decider: its state is the audit row folded from its own stream
 * (the same fold the projection runs, so the two cannot disagree), and each input (an answer, the
 * clock passing the expiry) yields the events to append or the reason to refuse. No I/O, no clock:
 * times come in as values (STYLE.md 3).
 */

export interface CommandState {
  readonly row: CommandAuditRow;
  /** Ids already in the stream: an answer whose event is here is a redelivery. */
  readonly eventIds: ReadonlySet<string>;
  /** The stream's version: the expected version of the next append. */
  readonly version: number;
}

/** Folds a command stream; undefined when it holds no CommandRequested (an unknown command). */
export const commandStateOf = (events: readonly DomainEvent[], version: number): CommandState | undefined => {
  let row: CommandAuditRow | undefined;
  const handled = new Set<string>(commandAuditProjection.handles);
  for (const event of events) {
    if (handled.has(event.type)) row = commandAuditProjection.apply(row, event as Parameters<typeof commandAuditProjection.apply>[1], '');
  }
  return row && { row, eventIds: new Set(events.map((e) => e.eventId)), version };
};

/** Who sent an answer, as the broker established it at connect time. */
export type AnswerSender = { readonly kind: 'bridge'; readonly bridgeId: string } | { readonly kind: 'device'; readonly thingName: string };

export const actorOfSender = (sender: AnswerSender): Actor =>
  sender.kind === 'bridge' ? { kind: 'system', id: `bridge:${sender.bridgeId}` } : { kind: 'device', id: sender.thingName };

export type AnswerDecision =
  | { readonly kind: 'apply'; readonly events: readonly NewEvent[] }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'reject'; readonly reason: string };

/** The LwM2M code a success means when the bridge leaves it out: Content for what returns data, Changed for the rest. */
const defaultSuccessCode = (operation: CommandAuditRow['operation']) => (operation === 'read' || operation === 'observe' || operation === 'discover' ? '2.05' : '2.04');

const SUCCESS_CODE = /^2\.\d\d$/;

const reject = (reason: string): AnswerDecision => ({ kind: 'reject', reason });

/**
 * What an answer on `cmd/lwm2m/<thing>/res/<commandId>` does to the command. Answers count only
 * from the bridge that was asked (or from the device itself); a redelivered answer is a duplicate;
 * anything after the final answer, or for a command that does not exist, is refused with the reason.
 */
export const decideAnswer = (
  state: CommandState | undefined,
  input: { readonly topicThing: string; readonly topicCommandId: string; readonly message: CommandResponseMessage; readonly sender: AnswerSender; readonly receivedAt: Date },
): AnswerDecision => {
  const { message, sender } = input;
  if (message.commandId !== input.topicCommandId) {
    return reject(`the payload names command ${message.commandId} but was published on the topic of command ${input.topicCommandId}: answer on cmd/lwm2m/<thing>/res/<the command's id>`);
  }
  if (!state) return reject(`no command ${message.commandId} was ever requested: answer only commands received on cmd/lwm2m/<thing>/req/<commandId>`);
  const { row } = state;
  if (row.thingName !== input.topicThing) {
    return reject(`command ${row.commandId} was sent to ${row.thingName}, not to ${input.topicThing}: answer on the topic of the device it was sent to`);
  }
  if (sender.kind === 'bridge') {
    if (message.bridgeId !== sender.bridgeId) return reject(`the answer claims to come from bridge ${message.bridgeId} but bridge ${sender.bridgeId} sent it: a bridge answers under its own id`);
    if (row.bridgeId === undefined) return reject(`bridge ${sender.bridgeId} answered command ${row.commandId}, which was sent to no bridge (${row.status}${row.detail ? `: ${row.detail}` : ''})`);
    if (row.bridgeId !== sender.bridgeId) return reject(`bridge ${sender.bridgeId} was not asked: command ${row.commandId} went to bridge ${row.bridgeId}, which holds ${row.thingName}`);
  }
  const eventId = `${row.commandId}:${message.status}`;
  if (state.eventIds.has(eventId)) return { kind: 'duplicate' };
  if (isFinalStatus(row.status)) {
    return reject(`command ${row.commandId} already ended (${row.status} at ${row.endedAt ?? row.requestedAt}); this "${message.status}" answer${message.lwm2mCode ? ` (${message.lwm2mCode})` : ''} came too late and is kept here, not applied`);
  }
  const base = { commandId: row.commandId, thingName: row.thingName };
  const actor = actorOfSender(sender);
  const latencyMs = Math.max(0, input.receivedAt.getTime() - Date.parse(row.requestedAt));
  const bridgeId = sender.kind === 'bridge' ? sender.bridgeId : (row.bridgeId ?? message.bridgeId);
  switch (message.status) {
    case 'queued':
      return { kind: 'apply', events: [commandEvent('CommandQueued', { ...base, bridgeId }, eventId, actor, row.commandId)] };
    case 'dispatched':
      return { kind: 'apply', events: [commandEvent('CommandDispatched', { ...base, bridgeId }, eventId, actor, row.commandId)] };
    case 'succeeded': {
      if (message.lwm2mCode !== undefined && !SUCCESS_CODE.test(message.lwm2mCode)) {
        return reject(`a "succeeded" answer carries a success code (2.xx), not ${message.lwm2mCode}: send "failed" for an error code`);
      }
      const result = { ...(message.values === undefined ? {} : { values: message.values }), ...(message.links === undefined ? {} : { links: message.links }) };
      const data = { ...base, lwm2mCode: message.lwm2mCode ?? defaultSuccessCode(row.operation), latencyMs, ...(Object.keys(result).length > 0 ? { result } : {}) };
      return { kind: 'apply', events: [commandEvent('CommandSucceeded', data, eventId, actor, row.commandId)] };
    }
    case 'failed': {
      if (message.lwm2mCode === undefined) return reject('a "failed" answer must carry lwm2mCode (e.g. "4.04", or "timeout" when the device never answered)');
      if (SUCCESS_CODE.test(message.lwm2mCode)) return reject(`a "failed" answer carries an error code, not the success code ${message.lwm2mCode}: send "succeeded"`);
      const data = { ...base, lwm2mCode: message.lwm2mCode, message: message.message ?? '', latencyMs };
      return { kind: 'apply', events: [commandEvent('CommandFailed', data, eventId, actor, row.commandId)] };
    }
  }
};

/** CommandTimedOut once the expiry has passed and no final answer came; nothing otherwise. */
export const decideExpiry = (state: CommandState, now: Date): readonly NewEvent[] => {
  const { row } = state;
  if (isFinalStatus(row.status) || row.expiresAt === undefined || now.getTime() < Date.parse(row.expiresAt)) return [];
  const afterMs = Math.max(0, now.getTime() - Date.parse(row.requestedAt));
  return [commandEvent('CommandTimedOut', { commandId: row.commandId, thingName: row.thingName, afterMs }, `${row.commandId}:timed-out`, COMMANDS_ACTOR, row.commandId)];
};

/** A stored event as the lifecycle view shows it. */
export const lifecycleEntry = (event: StoredEvent) => ({
  type: event.type,
  at: event.recordedAt,
  position: event.streamPosition,
  actor: event.actor,
  data: event.data,
});
