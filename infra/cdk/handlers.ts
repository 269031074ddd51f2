import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one registry of Lambda entry files (STYLE.md 2): the CDK app names a handler, never a path.
 * Entry files live in functions/lambda/ and are thin composition roots over the capability code.
 */
export const HANDLERS = {
  appendIngestedEvent: {
    entry: 'functions/lambda/appendIngestedEvent.ts',
    description: 'Appends ingested device facts from the ingest bus rule to the event store',
    invocation: 'event-bridge-target',
  },
  decodeDeviceMessage: {
    entry: 'functions/lambda/decodeDeviceMessage.ts',
    description: 'Decodes CBOR SenML device messages from the IoT rules into facts on the ingest bus',
    invocation: 'async',
  },
} as const satisfies Record<string, HandlerSpec>;

export interface HandlerSpec {
  /** Relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /**
   * How AWS calls it: `async` invocations need an on-failure destination; an EventBridge target
   * gets its retries and dead-letter queue on the rule's target instead.
   */
  readonly invocation: 'async' | 'event-bridge-target';
}

export type HandlerName = keyof typeof HANDLERS;

/** The repository root: infra/cdk/ is two levels down. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const handlerEntryPath = (name: HandlerName): string => join(REPO_ROOT, HANDLERS[name].entry);
