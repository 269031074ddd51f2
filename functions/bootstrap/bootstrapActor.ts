import type { Actor } from '../../events/envelope.ts';

/** Who appends what the bootstrap workflow concludes. */
export const BOOTSTRAP_ACTOR: Actor = { kind: 'system', id: 'bootstrap' };
