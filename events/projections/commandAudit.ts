import type { CommandOperation } from '../catalog/index.ts';
import type { Actor } from '../envelope.ts';
import { defineProjection } from './projection.ts';

/** Where a command is in its life. The last four are final: nothing moves a command out of them. */
export type CommandStatus = 'requested' | 'published' | 'queued' | 'dispatched' | 'succeeded' | 'failed' | 'timed-out' | 'ignored';

export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = ['succeeded', 'failed', 'timed-out', 'ignored'];

export const isFinalStatus = (status: CommandStatus): boolean => FINAL_COMMAND_STATUSES.includes(status);

/** An alarm acknowledgement is audited beside commands under this operation name. */
export const ACKNOWLEDGE_ALARM = 'acknowledge-alarm';

export interface CommandAuditRow {
  readonly commandId: string;
  readonly thingName: string;
  readonly operation: CommandOperation | typeof ACKNOWLEDGE_ALARM;
  /** The LwM2M path (commands). */
  readonly path?: string | undefined;
  /** The alarm (acknowledgements). */
  readonly alarmId?: string | undefined;
  /** Who asked: the actor's id (a token's subject) and kind, and the role it acted in. */
  readonly operator: string;
  readonly operatorKind: Actor['kind'];
  readonly role?: string | undefined;
  readonly requestedAt: string;
  readonly expiresAt?: string | undefined;
  readonly status: CommandStatus;
  /** Not final yet: the expiry sweeper looks for these (an index keys on it). */
  readonly open: boolean;
  /** The bridge that was asked. */
  readonly bridgeId?: string | undefined;
  readonly queueMode?: boolean | undefined;
  readonly lwm2mCode?: string | undefined;
  /** From the request to the final answer, as the backend saw it. */
  readonly latencyMs?: number | undefined;
  readonly endedAt?: string | undefined;
  /** Why it was ignored, the device's error message, or the acknowledgement's note. */
  readonly detail?: string | undefined;
  /** Where the first event of the command is: its own stream, or the device stream for an acknowledgement. */
  readonly streamId: string;
  readonly streamPosition: number;
}

const ended = (row: CommandAuditRow, status: CommandStatus, at: string, extra: Partial<CommandAuditRow>): CommandAuditRow =>
  isFinalStatus(row.status) ? row : { ...row, ...extra, status, open: false, endedAt: at };

/** Moves an open command forward; never backwards (a late `dispatched` after `succeeded` changes nothing). */
const advanced = (row: CommandAuditRow, status: CommandStatus, extra: Partial<CommandAuditRow> = {}): CommandAuditRow => {
  if (isFinalStatus(row.status)) return row;
  const order: readonly CommandStatus[] = ['requested', 'published', 'queued', 'dispatched'];
  return order.indexOf(status) < order.indexOf(row.status) ? { ...row, ...extra } : { ...row, ...extra, status };
};

/**
 * The command audit: who did what to which device, when, and what came of it (outcome, LwM2M
 * code, latency). One row per command id; alarm acknowledgements are rows too, since they are
 * operator actions on a device. The rows are what GET /commands and the audit export list.
 */
export const commandAuditProjection = defineProjection({
  name: 'command-audit',
  version: 1,
  handles: [
    'CommandRequested',
    'CommandPublished',
    'CommandQueued',
    'CommandDispatched',
    'CommandSucceeded',
    'CommandFailed',
    'CommandTimedOut',
    'CommandIgnored',
    'AlarmAcknowledged',
  ],
  keys: (event) => [event.data.commandId],
  apply(row: CommandAuditRow | undefined, event): CommandAuditRow | undefined {
    switch (event.type) {
      case 'CommandRequested':
        if (row) return row;
        return {
          commandId: event.data.commandId,
          thingName: event.data.thingName,
          operation: event.data.operation,
          path: event.data.path,
          operator: event.actor.id,
          operatorKind: event.actor.kind,
          role: event.actor.kind === 'user' ? event.actor.role : undefined,
          requestedAt: event.recordedAt,
          expiresAt: event.data.expiresAt,
          status: 'requested',
          open: true,
          streamId: event.streamId,
          streamPosition: event.streamPosition,
        };
      case 'AlarmAcknowledged':
        if (row) return row;
        return {
          commandId: event.data.commandId,
          thingName: event.data.thingName,
          operation: ACKNOWLEDGE_ALARM,
          alarmId: event.data.alarmId,
          operator: event.actor.id,
          operatorKind: event.actor.kind,
          role: event.actor.kind === 'user' ? event.actor.role : undefined,
          requestedAt: event.recordedAt,
          status: 'succeeded',
          open: false,
          endedAt: event.recordedAt,
          latencyMs: 0,
          detail: event.data.note,
          streamId: event.streamId,
          streamPosition: event.streamPosition,
        };
      default:
        break;
    }
    if (!row) return row;
    switch (event.type) {
      case 'CommandPublished':
        return advanced(row, 'published', { bridgeId: event.data.bridgeId, queueMode: event.data.queueMode });
      case 'CommandQueued':
        return advanced(row, 'queued', { bridgeId: event.data.bridgeId });
      case 'CommandDispatched':
        return advanced(row, 'dispatched', { bridgeId: event.data.bridgeId });
      case 'CommandSucceeded':
        return ended(row, 'succeeded', event.recordedAt, { lwm2mCode: event.data.lwm2mCode, latencyMs: event.data.latencyMs });
      case 'CommandFailed':
        return ended(row, 'failed', event.recordedAt, { lwm2mCode: event.data.lwm2mCode, latencyMs: event.data.latencyMs, detail: event.data.message });
      case 'CommandTimedOut':
        return ended(row, 'timed-out', event.recordedAt, { latencyMs: event.data.afterMs });
      case 'CommandIgnored':
        return ended(row, 'ignored', event.recordedAt, { detail: event.data.reason, latencyMs: 0 });
      default:
        return row;
    }
  },
});
