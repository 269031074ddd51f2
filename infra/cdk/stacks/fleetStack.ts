import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { asInterface } from '../cdkInterop.ts';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { AlarmSubscription } from '../constructs/alarmSubscription.ts';
import { BridgeService } from '../constructs/bridgeService.ts';
import { BridgeTraffic } from '../constructs/bridgeTraffic.ts';
import { CommandExpiry } from '../constructs/commandExpiry.ts';
import { Console } from '../constructs/console.ts';
import { DeviceIngress } from '../constructs/deviceIngress.ts';
import { EventBus } from '../constructs/eventBus.ts';
import { EventStore } from '../constructs/eventStore.ts';
import { FleetApi } from '../constructs/fleetApi.ts';
import { HandlerFunction } from '../constructs/handlerFunction.ts';
import { Outbox } from '../constructs/outbox.ts';
import { Projections } from '../constructs/projections.ts';
import { ProjectionRebuild } from '../constructs/projectionRebuild.ts';
import { ProvisioningTrigger } from '../constructs/provisioningTrigger.ts';
import { SchemaRegistry } from '../constructs/schemaRegistry.ts';
import { Storage } from '../constructs/storage.ts';
import { Workflow } from '../constructs/workflow.ts';
import { BOOTSTRAP_WORKFLOW, DEPROVISIONING_WORKFLOW, PROVISIONING_WORKFLOW } from '../workflows.ts';

export interface FleetStackProps extends StackProps {
  /**
   * The operator console's build (`npm run synth` builds functions/dashboard/dist when missing).
   * Without it the stack deploys no console: the API alone, for tests and headless deployments.
   */
  readonly consoleAssets?: string;
}

/**
 * The fleet backend on AWS: event store, bus, the ingestion path (IoT rules → decode → bus →
 * append), the outbox and projections on the store's stream, the schema registry, the object
 * buckets, the provisioning, deprovisioning and bootstrap workflows, the bridge-traffic rules,
 * the operator API, the operator console and the LwM2M bridge service. It only composes; each
 * capability is its own construct (infra/cdk/README.md).
 */
export class FleetStack extends Stack {
  readonly eventStore: EventStore;
  readonly eventBus: EventBus;
  readonly storage: Storage;
  readonly ingress: DeviceIngress;
  readonly append: HandlerFunction;
  readonly decode: HandlerFunction;
  readonly provisioning: Workflow;
  readonly deprovisioning: Workflow;
  readonly bootstrap: Workflow;
  readonly bridgeTraffic: BridgeTraffic;
  readonly provisioningTrigger: ProvisioningTrigger;
  readonly outbox: Outbox;
  readonly projections: Projections;
  readonly schemaRegistry: SchemaRegistry;
  readonly alarmSubscription: AlarmSubscription;
  readonly api: FleetApi;
  readonly commandExpiry: CommandExpiry;
  readonly projectionRebuild: ProjectionRebuild;
  readonly bridge: BridgeService;
  readonly operatorConsole: Console | undefined;

  constructor(scope: Construct, id: string, props: FleetStackProps = {}) {
    super(scope, id, props);
    this.eventStore = new EventStore(this, 'EventStore');

    this.append = new HandlerFunction(this, 'AppendIngestedEvent', {
      handler: 'appendIngestedEvent',
      environment: { [LAMBDA_ENV.eventStoreTable]: this.eventStore.table.tableName },
    });
    this.eventStore.grantStoreAccess(this.append.fn);

    this.eventBus = new EventBus(this, 'EventBus', { ingestTarget: this.append.fn });

    this.decode = new HandlerFunction(this, 'DecodeDeviceMessage', {
      handler: 'decodeDeviceMessage',
      environment: { [LAMBDA_ENV.eventBusName]: this.eventBus.bus.eventBusName },
      timeout: Duration.seconds(15),
    });
    this.eventBus.bus.grantPutEventsTo(this.decode.fn);

    this.ingress = new DeviceIngress(this, 'DeviceIngress', { decode: this.decode.fn });
    const bus = asInterface<events.IEventBus>(this.eventBus.bus);
    this.outbox = new Outbox(this, 'Outbox', { eventStoreTable: this.eventStore.table, bus });
    this.projections = new Projections(this, 'Projections', { eventStoreTable: this.eventStore.table });
    this.schemaRegistry = new SchemaRegistry(this, 'SchemaRegistry');
    this.alarmSubscription = new AlarmSubscription(this, 'AlarmSubscription', { bus });
    this.storage = new Storage(this, 'Storage');

    const s = this.storage;
    // What every Lambda that builds the AWS adapters reads (functions/lambda/awsAdapters.ts).
    const workflowProps = {
      eventStore: this.eventStore,
      areas: { uploads: { bucket: s.uploads }, credentials: { bucket: s.credentials, key: s.credentialsKey }, reports: { bucket: s.reports } },
      environment: {
        [LAMBDA_ENV.eventStoreTable]: this.eventStore.table.tableName,
        [LAMBDA_ENV.uploadsBucket]: s.uploads.bucketName,
        [LAMBDA_ENV.credentialsBucket]: s.credentials.bucketName,
        [LAMBDA_ENV.credentialsKeyArn]: s.credentialsKey.keyArn,
        [LAMBDA_ENV.reportsBucket]: s.reports.bucketName,
        [LAMBDA_ENV.awsAccountId]: this.account,
        [LAMBDA_ENV.awsPartition]: this.partition,
      },
    };
    this.provisioning = new Workflow(this, 'Provisioning', { ...workflowProps, spec: PROVISIONING_WORKFLOW });
    this.deprovisioning = new Workflow(this, 'Deprovisioning', { ...workflowProps, spec: DEPROVISIONING_WORKFLOW });
    this.bootstrap = new Workflow(this, 'Bootstrap', { ...workflowProps, spec: BOOTSTRAP_WORKFLOW });
    this.bridgeTraffic = new BridgeTraffic(this, 'BridgeTraffic', {
      eventStore: this.eventStore,
      bus,
      directory: this.projections.tables.directory,
      sessions: this.projections.tables.deviceSessions,
      bootstrap: this.bootstrap.stateMachine,
      errorAction: this.ingress.errorAction,
    });
    this.provisioningTrigger = new ProvisioningTrigger(this, 'ProvisioningTrigger', {
      uploads: s.uploads,
      stateMachine: this.provisioning.stateMachine,
    });
    // Before the API, which starts these functions (POST /projections/:name/rebuild).
    this.projectionRebuild = new ProjectionRebuild(this, 'ProjectionRebuild', { eventStore: this.eventStore, projections: this.projections });
    this.api = new FleetApi(this, 'Api', {
      eventStore: this.eventStore,
      uploads: workflowProps.areas.uploads,
      reports: workflowProps.areas.reports,
      provisioning: this.provisioning.stateMachine,
      deprovisioning: this.deprovisioning.stateMachine,
      environment: workflowProps.environment,
      projections: this.projections,
      rebuild: this.projectionRebuild,
    });
    this.commandExpiry = new CommandExpiry(this, 'CommandExpiry', { eventStore: this.eventStore, projections: this.projections });
    this.bridge = new BridgeService(this, 'Bridge', {
      credentials: workflowProps.areas.credentials,
      directory: this.projections.tables.directory,
      // `-c bridgePlainCoap=true`: plain CoAP on UDP 5683 too (ADR 0012; development fleets only).
      plainCoap: String(this.node.tryGetContext('bridgePlainCoap')) === 'true',
    });
    this.operatorConsole =
      props.consoleAssets === undefined
        ? undefined
        : new Console(this, 'Console', { api: this.api, assets: props.consoleAssets, accessLogs: asInterface(s.accessLogs) });
  }
}
