import type { Actor, NewEvent } from '../../events/envelope.ts';
import { isFinalStatus, type CommandStatus } from '../../events/projections/commandAudit.ts';
import type { CommandRequestMessage } from '../../schemas/bridge/commandMessages.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { Clock } from '../shared/clock.ts';
import type { CommandRequestBody } from './commandApiSchemas.ts';
import { commandEvent, COMMANDS_ACTOR } from './commandEvents.ts';
import { commandRequestTopic, type CommandPublisher } from './commandPublisher.ts';
import { commandStreamId, decideAndAppend } from './commandStream.ts';
import type { DeviceHolderLookup } from './deviceHolder.ts';

export interface CommandTimeouts {
  /** A device that is awake answers within seconds; this bounds a slow network or a busy bridge. */
  readonly defaultSeconds: number;
  /** A queue-mode device answers when it next wakes, which may be hours away. */
  readonly queueModeSeconds: number;
}

export const DEFAULT_COMMAND_TIMEOUTS: CommandTimeouts = { defaultSeconds: 60, queueModeSeconds: 3600 };

export interface RequestCommandDeps {
  readonly events: Pick<EventStore, 'append' | 'readStream'>;
  readonly clock: Clock;
  readonly holderOf: DeviceHolderLookup;
  readonly publisher: CommandPublisher;
  readonly newCommandId: () => string;
  readonly timeouts?: CommandTimeouts;
  /** Told the expiry of every command that went out, so the sweeper wakes in time. */
  readonly onOpened?: (expiresAt: string) => void;
  readonly log?: { warn(details: object, message: string): void };
}

export interface RequestOutcome {
  readonly commandId: string;
  readonly status: Extract<CommandStatus, 'published' | 'ignored' | 'failed'>;
  readonly expiresAt: string;
}

const parametersOf = (body: CommandRequestBody) => {
  const p = {
    ...(body.values === undefined ? {} : { values: body.values }),
    ...(body.writeMode === undefined ? {} : { writeMode: body.writeMode }),
    ...(body.arguments === undefined ? {} : { arguments: body.arguments }),
    ...(body.attributes === undefined ? {} : { attributes: body.attributes }),
  };
  return Object.keys(p).length > 0 ? p : undefined;
};

/**
 * An accepted command (already checked against its schema, the object model and the directory):
 * CommandRequested with the operator as actor and, in the same append, CommandPublished for the
 * bridge that holds the device or CommandIgnored when none does. Only then is the request
 * published, so an answer can never arrive before the store knows which bridge was asked. A publish
 * that fails ends the command as failed ("not-sent"); a crash between append and publish leaves
 * it open until its expiry, when the sweeper times it out.
 */
export const requestCommand =
  (deps: RequestCommandDeps) =>
  async (body: CommandRequestBody, actor: Actor): Promise<RequestOutcome> => {
    const timeouts = deps.timeouts ?? DEFAULT_COMMAND_TIMEOUTS;
    const commandId = deps.newCommandId();
    const now = deps.clock.now();
    const holder = await deps.holderOf(body.thingName, now);
    const timeoutSeconds = body.timeoutSeconds ?? (holder.held && holder.queueMode ? timeouts.queueModeSeconds : timeouts.defaultSeconds);
    const expiresAt = new Date(now.getTime() + Math.round(timeoutSeconds * 1000)).toISOString();
    const value = parametersOf(body);
    const base = { commandId, thingName: body.thingName };
    const topic = commandRequestTopic(body.thingName, commandId);
    const events: NewEvent[] = [
      commandEvent('CommandRequested', { ...base, operation: body.operation, path: body.path, expiresAt, ...(value === undefined ? {} : { value }) }, `${commandId}:requested`, actor, commandId),
      holder.held
        ? commandEvent('CommandPublished', { ...base, bridgeId: holder.bridgeId, queueMode: holder.queueMode, topic }, `${commandId}:published`, COMMANDS_ACTOR, commandId)
        : commandEvent('CommandIgnored', { ...base, reason: holder.reason }, `${commandId}:ignored`, COMMANDS_ACTOR, commandId),
    ];
    await deps.events.append({ streamId: commandStreamId(commandId), expectedVersion: 0, events });
    if (!holder.held) return { commandId, status: 'ignored', expiresAt };

    const message: CommandRequestMessage = { commandId, operation: body.operation, path: body.path, ...value, requestedAt: now.toISOString(), expiresAt };
    try {
      await deps.publisher.publish(body.thingName, message);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      deps.log?.warn({ commandId, thingName: body.thingName, err: reason }, 'a command could not be published; it ends as failed (not-sent)');
      const latencyMs = Math.max(0, deps.clock.now().getTime() - now.getTime());
      const failed = commandEvent('CommandFailed', { ...base, lwm2mCode: 'not-sent', message: `the broker did not take the request: ${reason}`, latencyMs }, `${commandId}:not-sent`, COMMANDS_ACTOR, commandId);
      const ended = await decideAndAppend(deps.events, commandId, (state) =>
        state && !isFinalStatus(state.row.status) ? { events: [failed], result: 'failed' as const } : { events: [], result: state?.row.status },
      );
      return { commandId, status: ended === 'failed' ? 'failed' : 'published', expiresAt };
    }
    deps.onOpened?.(expiresAt);
    return { commandId, status: 'published', expiresAt };
  };
