import { randomUUID } from 'node:crypto';
import { alarmKey, type AlarmRow } from '../../../events/projections/alarms.ts';
import { commandAuditProjection } from '../../../events/projections/commandAudit.ts';
import type { DeviceRow } from '../../../events/projections/devices.ts';
import type { EmbeddedBroker, InboundMessage } from '../../../functions/broker/embeddedBroker.ts';
import { acknowledgeAlarm } from '../../../functions/commands/acknowledgeAlarm.ts';
import { createExpirySweeper, expireCommand, type ExpirySweeper } from '../../../functions/commands/commandExpiry.ts';
import { brokerCommandPublisher } from '../../../functions/commands/commandPublisher.ts';
import { commandRoutes } from '../../../functions/commands/commandRoutes.ts';
import { sessionsHolderLookup } from '../../../functions/commands/deviceHolder.ts';
import { handleCommandAnswer, type AnswerOutcome } from '../../../functions/commands/handleCommandAnswer.ts';
import { DEFAULT_COMMAND_TIMEOUTS, requestCommand, type CommandTimeouts } from '../../../functions/commands/requestCommand.ts';
import { createSqliteCommandAudit, type CommandAuditStore } from '../../../functions/commands/sqliteCommandAudit.ts';
import type { RunningModule } from '../runtime.ts';
import type { SystemModule } from '../system.ts';

export interface CommandsModuleOptions {
  /** Default expiries when a command names none: an awake device, and one in queue mode. */
  readonly timeouts?: CommandTimeouts;
  /** The shortest timeoutSeconds a caller may ask for; 1 s unless lowered (tests). */
  readonly minTimeoutSeconds?: number;
  /** The longest the expiry sweeper sleeps with nothing due. */
  readonly maxSweepSleepMs?: number;
}

export interface RunningCommands extends RunningModule {
  readonly audit: CommandAuditStore;
  readonly sweeper: ExpirySweeper;
  /** Told the outcome of every answer that arrived on a command response topic (tests wait on it). */
  onAnswer(listener: (outcome: AnswerOutcome, message: InboundMessage) => void): () => void;
}

/**
 * Device control in the embedded system: the command routes, answers from bridges (and devices)
 * taken from the broker, the command-audit projection and its queries, and the expiry sweeper.
 * Commands go out through the broker's server-side publish; on AWS the same handlers use the
 * IoT data plane (functions/lambda/iotDataPlanePublisher.ts).
 */
export const commandsModule = (options: CommandsModuleOptions = {}, onStarted?: (m: RunningCommands) => void): SystemModule => ({
  name: 'commands',
  projections: [commandAuditProjection],
  create: ({ broker }: { readonly broker: EmbeddedBroker }) => ({
    name: 'commands',
    start(ctx) {
      const audit = createSqliteCommandAudit(ctx.db);
      const deps = { events: ctx.events, clock: ctx.clock };
      const sweeper = createExpirySweeper({
        clock: ctx.clock,
        due: (now, limit) => audit.due(now, limit),
        nextExpiry: () => audit.nextExpiry(),
        expire: expireCommand(deps),
        settle: () => ctx.projections.settled(),
        ...(options.maxSweepSleepMs === undefined ? {} : { maxSleepMs: options.maxSweepSleepMs }),
        log: { error: (details, message) => ctx.log.error(details, message) },
      });
      const request = requestCommand({
        ...deps,
        holderOf: sessionsHolderLookup(ctx.projectionStore),
        publisher: brokerCommandPublisher(() => broker),
        newCommandId: () => `c-${randomUUID()}`,
        timeouts: options.timeouts ?? DEFAULT_COMMAND_TIMEOUTS,
        onOpened: (expiresAt) => sweeper.notify(expiresAt),
        log: { warn: (details, message) => ctx.log.warn(details, message) },
      });
      const acknowledge = acknowledgeAlarm({
        events: ctx.events,
        alarmOf: (thingName, alarmId) => ctx.projectionStore.getRow('alarms', alarmKey(thingName, alarmId)) as AlarmRow | undefined,
        settle: () => ctx.projections.settled(),
        newCommandId: () => `a-${randomUUID()}`,
      });

      const handleAnswer = handleCommandAnswer(deps);
      const listeners = new Set<(outcome: AnswerOutcome, message: InboundMessage) => void>();
      // With handleBeforeAck the PUBACK waits for this: an acknowledged answer is in the store.
      const unsubscribe = broker.onPublish(async (m) => {
        if (m.route?.kind !== 'command-response') return;
        const outcome = await handleAnswer({
          topic: m.topic,
          thingName: m.route.thingName,
          commandId: m.route.commandId,
          payload: m.payload,
          sender: { kind: m.identity.kind, thingName: m.identity.thingName, bridgeId: m.identity.bridgeId, clientId: m.identity.clientId },
          deliveryKey: m.packetId === undefined ? undefined : `${m.identity.clientId}:${m.packetId}`,
        });
        if (outcome.kind === 'rejected') ctx.log.warn({ topic: m.topic, from: m.identity.clientId, reason: outcome.reason }, 'a command answer was refused and kept as a rejection');
        for (const listener of listeners) listener(outcome, m);
      });

      // Routes are registered before the server listens (the runtime starts modules first).
      void ctx.http.register(
        commandRoutes({
          request,
          deviceOf: (thingName) => ctx.projectionStore.getRow('devices', thingName) as DeviceRow | undefined,
          audit,
          readStream: (streamId, range) => ctx.events.readStream(streamId, range),
          acknowledge,
          ...(options.minTimeoutSeconds === undefined ? {} : { minTimeoutSeconds: options.minTimeoutSeconds }),
        }),
      );
      sweeper.start();

      const running: RunningCommands = {
        audit,
        sweeper,
        onAnswer(listener) {
          listeners.add(listener);
          return () => void listeners.delete(listener);
        },
        async stop() {
          unsubscribe();
          await sweeper.stop();
        },
      };
      onStarted?.(running);
      return Promise.resolve(running);
    },
  }),
});
