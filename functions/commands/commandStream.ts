import { streamIdFor, type NewEvent, type StoredEvent } from '../../events/envelope.ts';
import { upcast } from '../../events/upcasting.ts';
import { WrongExpectedVersionError, type EventStore } from '../eventStore/eventStore.ts';
import { commandStateOf, type CommandState } from './commandLifecycle.ts';

export const commandStreamId = (commandId: string): string => streamIdFor.command(commandId);

/** A command's stream, read and folded: what the decider needs. */
export const readCommand = async (events: Pick<EventStore, 'readStream'>, commandId: string): Promise<{ readonly stored: readonly StoredEvent[]; readonly state: CommandState | undefined }> => {
  const stored = await events.readStream(commandStreamId(commandId));
  const version = stored.at(-1)?.streamPosition ?? 0;
  return { stored, state: commandStateOf(stored.map(upcast), version) };
};

/** Two writers seldom race on one command (an answer and the sweeper); a few rounds settle it. */
const MAX_ROUNDS = 5;

/**
 * Reads the command, asks `decide` what to append, and appends it at the version it read; when
 * another writer got there first, reads again and decides again (the store's optimistic check).
 */
export const decideAndAppend = async <R>(
  events: Pick<EventStore, 'readStream' | 'append'>,
  commandId: string,
  decide: (state: CommandState | undefined) => { readonly events: readonly NewEvent[]; readonly result: R },
): Promise<R> => {
  for (let round = 1; ; round++) {
    const { state } = await readCommand(events, commandId);
    const decision = decide(state);
    if (decision.events.length === 0) return decision.result;
    try {
      await events.append({ streamId: commandStreamId(commandId), expectedVersion: state?.version ?? 0, events: decision.events });
      return decision.result;
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || round >= MAX_ROUNDS) throw err;
    }
  }
};
