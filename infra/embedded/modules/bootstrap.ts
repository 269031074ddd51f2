import { resolve } from 'node:path';
import { z } from 'zod';
import type { EmbeddedBroker } from '../../../functions/broker/embeddedBroker.ts';
import { BridgePublishFailed } from '../../../functions/bootstrap/bootstrapPublisher.ts';
import { withGroupCommit } from '../../../functions/eventStore/groupCommit.ts';
import { BOOTSTRAP_DEFINITION_FILE, BOOTSTRAP_FUNCTIONS, BOOTSTRAP_STATE_MACHINE, bootstrapTasks } from '../../../functions/bootstrap/bootstrapTasks.ts';
import { localFunctionArn } from '../../../functions/workflows/localWorkflowEngine.ts';
import { ConfigError } from '../config.ts';
import type { SystemModule } from '../system.ts';

export interface BootstrapModuleOptions {
  /**
   * The broker URI devices are given, asked at each delivery: the embedded broker's mqtts endpoint
   * as devices reach it (its listening port may be ephemeral, so main.ts passes a function).
   */
  readonly brokerUri: () => string;
  /**
   * FLEET_BOOTSTRAP_OVER_PLAIN_COAP: deliver to devices that registered over plain CoAP, where any
   * client may claim any endpoint name. Default false: credentials go only to a device that proved
   * its name with its own PSK over DTLS (docs/adr/0010-plain-coap-threats.md). A development bench
   * on plain CoAP must opt in.
   */
  readonly allowPlainCoap?: boolean;
  /** How long a delivery stays valid for the bridge, in seconds (default 60; see workflows/bootstrap/README.md). */
  readonly deliveryTtlSeconds?: number;
}

const BootstrapEnv = z.object({
  FLEET_BOOTSTRAP_OVER_PLAIN_COAP: z.enum(['true', 'false']).default('false'),
  FLEET_BOOTSTRAP_BROKER_URI: z
    .string()
    .regex(/^mqtts:\/\/[^/\s]+:\d{1,5}$/, 'use mqtts://<host>:<port>, the address devices reach the broker at')
    .optional(),
});

/** The bootstrap settings from the environment; a bad value stops the start with a message that names it. */
export const bootstrapEnv = (env: Readonly<Record<string, string | undefined>> = process.env): { allowPlainCoap: boolean; brokerUri: string | undefined } => {
  const parsed = BootstrapEnv.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Invalid bootstrap configuration (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}). Fix the environment variable and start again.`);
  }
  return { allowPlainCoap: parsed.data.FLEET_BOOTSTRAP_OVER_PLAIN_COAP === 'true', brokerUri: parsed.data.FLEET_BOOTSTRAP_BROKER_URI };
};

const projectRoot = resolve(import.meta.dirname, '../../..');

/**
 * The bootstrap workflow in the embedded system: workflows/bootstrap/bootstrap.asl.json run by the
 * system's engine, its delivery published through the embedded broker, the local CA as the trust
 * anchor devices get (it signs the broker's certificate). Executions are started by the bridge
 * messages module, from a registration that shows object 18830 without an instance.
 */
export const bootstrapModule = (options: BootstrapModuleOptions): SystemModule => {
  // The tasks are built before the broker starts; they reach it through this once the module runs.
  let broker: EmbeddedBroker | undefined;
  return {
    name: 'bootstrap',
    workflows: ({ ca, registry, objects }, ctx) => ({
      handlers: bootstrapTasks({
        // Many executions record their outcome in the same turn when a fleet arrives: one commit for them all.
        eventStore: withGroupCommit(ctx.events),
        registry,
        credentials: objects.credentials,
        clock: ctx.clock,
        trustAnchorPem: ca.certificatePem,
        brokerUri: options.brokerUri,
        allowPlainCoap: options.allowPlainCoap ?? false,
        ...(options.deliveryTtlSeconds === undefined ? {} : { deliveryTtlSeconds: options.deliveryTtlSeconds }),
        publish: async ({ topic, payload }) => {
          if (!broker) throw new BridgePublishFailed('the MQTT broker is not running: start the system before bootstrapping');
          // QoS 1, never retained: the delivery holds a private key (schemas/topics/README.md).
          await broker.publish({ topic, payload, qos: 1, retain: false });
        },
      }),
      stateMachines: [
        {
          name: BOOTSTRAP_STATE_MACHINE,
          definitionFile: resolve(projectRoot, BOOTSTRAP_DEFINITION_FILE),
          substitutions: Object.fromEntries(Object.entries(BOOTSTRAP_FUNCTIONS).map(([sub, fn]) => [sub, localFunctionArn(fn)])),
        },
      ],
    }),
    create: (services) => ({
      name: 'bootstrap',
      start() {
        broker = services.broker;
        // The engine belongs to the system and closes with it.
        return Promise.resolve({
          stop: () => {
            broker = undefined;
            return Promise.resolve();
          },
        });
      },
    }),
  };
};
