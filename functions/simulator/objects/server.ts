import { SERVER } from '../../../schemas/lwm2m/index.ts';
import { single, type ObjectBehaviour, type ResourceContent } from '../objectTree.ts';
import { boolean, integer, stringOf, text, unsigned } from './values.ts';

export interface ServerObjectHooks {
  /** Lifetime (1) or Binding (7) was written: the registration must tell the server (an Update). */
  readonly registrationChanged: () => void;
  /** Registration Update Trigger (8) was executed. */
  readonly updateTriggered: () => void;
}

/** Object 1, LwM2M Server: lifetime, default notification periods, binding. */
export const serverBehaviour = (hooks: ServerObjectHooks): ObjectBehaviour => ({
  definition: SERVER,
  supported: [0, 1, 2, 3, 6, 7, 8],
  validate: (_instanceId, contents) => {
    const content = contents.get(7);
    const binding = content !== undefined && !content.multiple ? stringOf(content.value) : undefined;
    // UDP is the one transport this client has; Q (queue mode) is its one mode.
    if (binding !== undefined && !/^UQ?$/.test(binding)) return `Binding '${binding}' is not one this device supports: write U or UQ`;
    return undefined;
  },
  written: (_instanceId, written) => (written.has(1) || written.has(7) ? hooks.registrationChanged : undefined),
  // Registration Update Trigger (8) is the only Execute resource this device lists for the object.
  execute: () => ({ after: hooks.updateTriggered }),
});

/** `binding` is the 1.0 form: U, or UQ for queue mode (what the Binding resource holds). */
export const serverInstance = (shortServerId: number, lifetimeSeconds: number, binding: string): Map<number, ResourceContent> =>
  new Map([
    [0, single(integer(shortServerId))],
    [1, single(unsigned(lifetimeSeconds))],
    [6, single(boolean(false))],
    [7, single(text(binding))],
  ]);
