import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  alarmsProjection,
  devicesProjection,
  deviceStateProjection,
  rejectionsProjection,
  type AnyProjection,
} from '../../events/projections/index.ts';
import { installApiAccess, type ApiAccess } from '../../functions/api/auth/apiAccess.ts';
import { loadOrCreateLocalIssuer, type TokenIssuer } from '../../functions/api/auth/localIssuer.ts';
import { healthRoutes } from '../../functions/api/health.ts';
import { problemNotFound } from '../../functions/api/notFound.ts';
import { openApiRoutes } from '../../functions/api/openapi/openApiRoutes.ts';
import { projectionRebuildRoutes } from '../../functions/api/projections/projectionRebuildRoutes.ts';
import { directoryRoutes } from '../../functions/directory/directoryRoutes.ts';
import { createSqliteDeviceDirectory } from '../../functions/directory/sqliteDeviceDirectory.ts';
import { localSignInRoutes } from '../../functions/dashboard/localSignIn.ts';
import { serveDashboard } from '../../functions/dashboard/serveDashboard.ts';
import { deviceViewsRoutes } from '../../functions/deviceViews/deviceViewsRoutes.ts';
import { createSqliteDeviceReadModel } from '../../functions/deviceViews/sqliteDeviceReadModel.ts';
import { createInProcessBus, type InProcessBus } from '../../functions/bus/inProcessBus.ts';
import { createOutbox } from '../../functions/outbox/outbox.ts';
import { createEnvelopeIdSlot } from '../../functions/outbox/publishedEventId.ts';
import { createSqliteOutboxCheckpoints } from '../../functions/outbox/sqliteOutboxCheckpoints.ts';
import { loadSubscriptionsFile } from '../../functions/subscriptions/subscriptionConfig.ts';
import { createWebhookSubscriptions, type WebhookSubscriptions } from '../../functions/subscriptions/webhookSubscriptions.ts';
import { openSqlite, type SqliteDatabase } from '../../functions/eventStore/sqliteDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from '../../functions/eventStore/sqliteEventStore.ts';
import { createProjectionEngine, type ProjectionEngine } from '../../functions/projections/projectionEngine.ts';
import type { ProjectionStore } from '../../functions/projections/projectionStore.ts';
import { createSqliteProjectionStore } from '../../functions/projections/sqliteProjectionStore.ts';
import { systemClock, type Clock } from '../../functions/shared/clock.ts';
import type { StoredEvent } from '../../events/envelope.ts';
import type { EmbeddedConfig } from './config.ts';

/** What every module of the embedded runtime can use. */
export interface RuntimeContext {
  readonly config: EmbeddedConfig;
  readonly clock: Clock;
  readonly log: FastifyBaseLogger;
  readonly db: SqliteDatabase;
  readonly events: SqliteEventStore;
  readonly projectionStore: ProjectionStore;
  readonly projections: ProjectionEngine;
  /** The in-process event bus (EventBridge envelopes and patterns). */
  readonly bus: InProcessBus;
  /** Register routes here; the server starts listening after every module has started. */
  readonly http: FastifyInstance;
}

/**
 * A part of the system plugged into the embedded runtime (broker, LwM2M server, workflows, ...).
 * Modules start in order and stop in reverse order.
 */
export interface EmbeddedModule {
  readonly name: string;
  /** Projections the module contributes; they run with the built-in ones. */
  readonly projections?: readonly AnyProjection[];
  start(ctx: RuntimeContext): Promise<RunningModule>;
}

export interface RunningModule {
  /** Shown at start-up: what runs where. */
  readonly endpoints?: Readonly<Record<string, string>>;
  readonly health?: () => 'up' | 'down';
  stop(): Promise<void>;
}

export interface Runtime extends RuntimeContext {
  readonly url: string;
  /** The local token issuer: `tokens.issue(role, subject)` mints a bearer token for the API. */
  readonly tokens: TokenIssuer;
  /** The API's registered routes, each governed by functions/api/auth/permissions.ts. */
  readonly api: ApiAccess;
  readonly endpoints: Readonly<Record<string, string>>;
  /** Webhook subscriptions (dead letters, redrive), when FLEET_SUBSCRIPTIONS_FILE names a file. */
  readonly subscriptions?: WebhookSubscriptions | undefined;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  readonly modules?: readonly EmbeddedModule[];
  readonly clock?: Clock;
  /** Told after each batch of events is committed to the live projections. */
  readonly onProjected?: (events: readonly StoredEvent[]) => void;
}

/**
 * The embedded composition root: one process, one SQLite file, the same handlers as on AWS.
 * Stopping closes the HTTP server first (in-flight requests finish), then the modules, then the
 * projections (the current batch commits), then the database; an append that was acknowledged
 * is committed before its acknowledgement, so nothing acknowledged is lost.
 */
export const startRuntime = async (config: EmbeddedConfig, options: RuntimeOptions = {}): Promise<Runtime> => {
  const clock = options.clock ?? systemClock;
  const modules = options.modules ?? [];
  // Read before anything opens: a bad subscriptions file stops the start with an error naming the subscription and field.
  const subscriptionSpecs = config.subscriptionsFile === undefined ? undefined : loadSubscriptionsFile(config.subscriptionsFile);
  const tokens = await loadOrCreateLocalIssuer({ dataDir: config.dataDir, clock });
  // maxParamLength 128: a `:thingName` route parameter must hold the longest thing name AWS IoT allows.
  const http = Fastify({ logger: { level: config.logLevel }, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 128 } });
  const log = http.log;
  // Before any route exists: every route, whichever module adds it, is behind the permission table.
  const api = installApiAccess(http, { verifier: tokens.verifier });
  problemNotFound(http);
  const db = openSqlite(config.sqlite);
  const events = createSqliteEventStore(db, clock);
  const projectionStore = createSqliteProjectionStore(db);
  const projections = createProjectionEngine({
    events,
    store: projectionStore,
    projections: [devicesProjection, deviceStateProjection, alarmsProjection, rejectionsProjection, ...modules.flatMap((m) => m.projections ?? [])],
    batchSize: config.projectionBatchSize,
    coalesceMs: config.projectionDelayMs,
    ...(options.onProjected ? { onCommitted: options.onProjected } : {}),
    onUnreadable: (event, error) => log.warn({ eventId: event.eventId, streamId: event.streamId, err: error.message }, 'event skipped by projections'),
  });
  const unsubscribe = events.onAppended(() => projections.notify());
  // Published stored events get envelope ids derived from their event ids (functions/outbox/publishedEventId.ts).
  const envelopeIds = createEnvelopeIdSlot();
  const bus = createInProcessBus({
    clock,
    ids: envelopeIds.next,
    onDeadLetter: (d) => log.error({ rule: d.rule, eventId: d.event.id, detailType: d.event['detail-type'], attempts: d.attempts, err: d.errorMessage }, 'bus event dead-lettered'),
  });
  // The outbox: every stored event on the bus, in store order, from a persisted checkpoint (at least once).
  const outbox = createOutbox({
    events,
    bus,
    checkpoints: createSqliteOutboxCheckpoints(db),
    ids: envelopeIds,
    coalesceMs: config.projectionDelayMs,
    onError: (err, failures) => log.error({ err: err.message, failures }, 'outbox could not publish stored events; retrying'),
  });
  const subscriptions = subscriptionSpecs && createWebhookSubscriptions({ db, events, subscriptions: subscriptionSpecs, clock, log });
  const unsubscribePublishing = events.onAppended(() => {
    outbox.notify();
    subscriptions?.notify();
  });
  outbox.notify();
  const stopPublishing = async () => {
    await subscriptions?.stop();
    await outbox.stop();
    unsubscribePublishing();
  };
  const ctx: RuntimeContext = { config, clock, log, db, events, projectionStore, projections, bus, http };

  const running: { name: string; module: RunningModule }[] = [];
  const stopModules = async () => {
    for (const { name, module } of running.reverse()) {
      try {
        await module.stop();
      } catch (err) {
        log.error({ err, module: name }, 'module failed to stop cleanly');
      }
    }
    running.length = 0;
  };

  try {
    for (const m of modules) running.push({ name: m.name, module: await m.start(ctx) });
    await http.register(
      healthRoutes({
        head: () => events.headPosition(),
        projections: () => projections.status(),
        components: () =>
          Object.fromEntries<'up' | 'down'>([
            ['eventStore', db.open ? 'up' : 'down'],
            ...running.map((r): [string, 'up' | 'down'] => [r.name, r.module.health?.() ?? 'up']),
          ]),
      }),
    );
    // The device directory: search by tenant, attributes, group, type, status, box and radius.
    await http.register(directoryRoutes({ directory: createSqliteDeviceDirectory(db) }));
    // Device state (live or as of a time), history, alarms and rejections.
    await http.register(deviceViewsRoutes({ events, readModel: createSqliteDeviceReadModel(db) }));
    // Rebuild a projection from the store and compare it with the live one (admins; the CLI's `projections rebuild`).
    await http.register(projectionRebuildRoutes({ projections }));
    await http.register(openApiRoutes());
    // The web console (functions/dashboard): its files at / and /assets/*, and the loopback-only role picker.
    await http.register(serveDashboard({ dir: config.console.dashboardDir }));
    await http.register(localSignInRoutes({ tokens, enabled: config.console.localSignIn }));
    await projections.settled();
    await http.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await http.close();
    await stopModules();
    await stopPublishing();
    await bus.close();
    await projections.stop();
    db.close();
    throw err;
  }

  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
  let stopping: Promise<void> | undefined;

  return {
    ...ctx,
    url,
    tokens,
    api,
    subscriptions,
    endpoints: Object.fromEntries([
      ['http', url],
      ['dataDir', config.dataDir],
      ...running.flatMap((r) => Object.entries(r.module.endpoints ?? {})),
    ]),
    stop() {
      stopping ??= (async () => {
        await http.close();
        await stopModules();
        await stopPublishing();
        await bus.close();
        unsubscribe();
        await projections.stop();
        db.close();
      })();
      return stopping;
    },
  };
};
