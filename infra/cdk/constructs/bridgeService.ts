import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BRIDGE_LEASE_KEY } from '../../../functions/bridge/bridgeIdLease.ts';
import { LAMBDA_ENV } from '../../../functions/lambda/env.ts';
import { bridgePolicyName } from '../../../functions/registry/devicePolicy.ts';
import { bridgePolicyFor } from '../devicePolicyDocument.ts';
import { asInterface } from '../cdkInterop.ts';
import { REPO_ROOT } from '../handlers.ts';
import { acknowledgeWildcardResources } from '../nagAcknowledgements.ts';
import { grantObjects, type ObjectArea } from '../objectAccess.ts';
import { OBJECT_PREFIXES } from '../workflows.ts';
import { BridgeIdentities } from './bridgeIdentities.ts';

export interface BridgeServiceProps {
  /** The credentials area: device PSKs (DTLS) under devices/, bridge certificates under bridges/. */
  readonly credentials: ObjectArea;
  /** The directory projection: a suspended or deprovisioned device is refused at the DTLS handshake. */
  readonly directory: Pick<dynamodb.ITable, 'tableArn' | 'tableName'>;
  /** Tasks the service scales between. */
  readonly minTasks?: number;
  readonly maxTasks?: number;
  /**
   * Plain CoAP on UDP 5683 beside DTLS on 5684. Off by default: a plain CoAP device only claims its
   * name, so anyone could speak for it (docs/adr/0010-plain-coap-threats.md, ADR 0012).
   */
  readonly plainCoap?: boolean;
}

/** The entry point of the container, bundled by the Dockerfile. */
export const BRIDGE_ENTRY = 'functions/bridge/main.ts';
export const BRIDGE_DOCKERFILE = 'infra/cdk/bridge/Dockerfile';

/** LwM2M over CoAP (RFC 7252 default ports): plain UDP and DTLS. */
export const LWM2M_PORTS = { coap: 5683, coaps: 5684 } as const;
/** The container's HTTP health endpoint, which the UDP target groups check (UDP itself has no health check). */
export const HEALTH_PORT = 8080;

/** A deployment may run old and new tasks side by side: up to maxHealthyPercent of the desired count. */
export const MAX_HEALTHY_PERCENT = 200;

/**
 * Bridge ids of the pool: `aws-1` … `aws-<n>`, one per task that can run at once (maxTasks, doubled
 * while a deployment replaces tasks); a task claims a free one at start (functions/bridge/bridgeIdLease.ts).
 */
export const bridgeIdPool = (maxTasks: number): string[] => Array.from({ length: (maxTasks * MAX_HEALTHY_PERCENT) / 100 }, (_, i) => `aws-${i + 1}`);

/**
 * What the Docker build context leaves out of the repository (Docker ignore syntax, applied by CDK
 * when it stages the context at synth). A deny list, not `*` plus exceptions: with exceptions CDK
 * must walk node_modules to apply them (6-9 s of every synth), and so must any `**` pattern. The
 * Dockerfile copies only package files, events/, schemas/ and functions/; the rest is left out so
 * that data, keys and tests do not land in cdk.out.
 */
export const BRIDGE_BUILD_CONTEXT_EXCLUDE = [
  'node_modules',
  '.git',
  'cdk.out',
  'bench',
  'bench-results',
  'coverage',
  'data',
  '.data',
  'docs',
  // Tests stay out, except the stand-in package npm ci needs (package.json overrides node-aead-crypto).
  'test',
  '!test/support/no-aead-crypto',
  'workflows',
  'infra/embedded',
  'infra/cdk/*.ts',
  'infra/cdk/constructs',
  'infra/cdk/stacks',
  '.env*',
  '*.pem',
  '*.key',
  '*.db',
  '*.db-*',
  '*.sqlite',
  '*.log',
];

/**
 * The LwM2M server and bridge on AWS (ARCHITECTURE.md, ADR 0012): a Fargate service (arm64) behind
 * an internet-facing Network Load Balancer with a UDP listener on 5684 (CoAP over DTLS) and, only
 * when asked, 5683 (plain CoAP). Devices register with it; it publishes on their behalf to AWS IoT
 * Core as a *bridge*: each task claims a free id of a fixed pool through the lease table and
 * connects with that identity's certificate, whose IoT policy is `bridgePolicy(id)`
 * (functions/registry/devicePolicy.ts), the same document the embedded broker enforces. The
 * identities (thing, certificate) are created at deploy by a custom resource (bridgeIdentities.ts).
 *
 * UDP has no connections: the NLB keeps a device on one task for as long as its flow (source
 * address and port) lives; after a NAT rebinding a device may reach another task, which does not
 * know its registration (nor its DTLS session) and answers accordingly, so the device handshakes
 * and registers again there (LwM2M 1.1 §6.2).
 */
export class BridgeService extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly listeners: elbv2.NetworkListener[] = [];
  readonly bridgePolicies: iot.CfnPolicy[];
  readonly scaling: ecs.ScalableTaskCount;
  readonly logGroup: logs.LogGroup;
  /** Which task holds which bridge id (functions/bridge/bridgeIdLease.ts). */
  readonly leases: dynamodb.Table;
  readonly identities: BridgeIdentities;
  readonly bridgeIds: readonly string[];

  constructor(scope: Construct, id: string, props: BridgeServiceProps) {
    super(scope, id);
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 6;
    if (minTasks < 1 || maxTasks < minTasks) throw new Error(`The bridge service needs 1 <= minTasks <= maxTasks (got ${minTasks} and ${maxTasks}).`);
    const bridgeIds = bridgeIdPool(maxTasks);
    this.bridgeIds = bridgeIds;
    const plainCoap = props.plainCoap ?? false;
    const ports = plainCoap ? LWM2M_PORTS : { coaps: LWM2M_PORTS.coaps };

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });

    const vpc = asInterface<ec2.IVpc>(this.vpc);
    this.leases = new dynamodb.Table(this, 'Leases', {
      partitionKey: { name: BRIDGE_LEASE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Leases live a minute: nothing here outlives the tasks, so the table goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.leases).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'The table holds one-minute leases of bridge ids to running tasks; there is nothing to restore: tasks claim them again at start.',
    });
    const nlbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', { vpc, description: 'LwM2M devices over CoAP and DTLS', allowAllOutbound: false });
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      crossZoneEnabled: true,
      securityGroups: [nlbSecurityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Network Load Balancers write access logs only for TLS listeners; this one has UDP listeners only. VPC flow logs record the traffic.',
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const container = this.taskDefinition.addContainer('Bridge', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: BRIDGE_DOCKERFILE,
        platform: Platform.LINUX_ARM64,
        exclude: BRIDGE_BUILD_CONTEXT_EXCLUDE,
      }),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'bridge' }),
      // Names and ids only: the bridge's certificate and the devices' PSKs are read from the
      // credentials bucket (SSE-KMS) at run time, never passed in the environment. These are the
      // variables functions/bridge/bridgeEnv.ts reads (test/cdk/bridgeTask.int.test.ts starts the
      // process with exactly them).
      environment: {
        FLEET_BRIDGE_ID_POOL: bridgeIds.join(','),
        FLEET_BRIDGE_LEASE_TABLE: this.leases.tableName,
        [LAMBDA_ENV.credentialsBucket]: props.credentials.bucket.bucketName,
        [LAMBDA_ENV.directoryTable]: props.directory.tableName,
        FLEET_LWM2M_HOST: '0.0.0.0',
        LWM2M_COAPS_PORT: String(LWM2M_PORTS.coaps),
        ...(plainCoap ? { LWM2M_PLAIN_COAP: 'true', FLEET_LWM2M_PORT: String(LWM2M_PORTS.coap) } : {}),
        FLEET_BRIDGE_PUBLIC_ENDPOINTS: Object.entries(ports)
          .map(([scheme, port]) => `${scheme}://${this.loadBalancer.loadBalancerDnsName}:${port}`)
          .join(','),
        FLEET_BRIDGE_HEALTH_PORT: String(HEALTH_PORT),
      },
      portMappings: [...Object.values(ports).map((containerPort) => ({ containerPort, protocol: ecs.Protocol.UDP })), { containerPort: HEALTH_PORT, protocol: ecs.Protocol.TCP }],
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${HEALTH_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
        interval: Duration.seconds(30),
        // Claiming an id (up to two leases when a deployment holds them all) and the first MQTT connect.
        startPeriod: Duration.seconds(180),
      },
      // SIGTERM publishes offline, disconnects and gives the id back: a few seconds.
      stopTimeout: Duration.seconds(30),
      readonlyRootFilesystem: true,
    });
    // Pulling the image from ECR needs ecr:GetAuthorizationToken, which IAM grants on "*" only.
    this.taskDefinition.obtainExecutionRole();
    Validations.of(this.taskDefinition.executionRole!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource type in IAM; the image pull itself is limited to the asset repository.',
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds names, ports and the bridge id pool only; secrets (certificates, PSKs) are read from the KMS-encrypted credentials bucket at run time.',
    });

    // The task's own role: claim and renew a bridge id, read its certificate, the devices' PSKs and
    // their directory status, find the IoT endpoint.
    const taskRole = this.taskDefinition.taskRole as iam.Role;
    taskRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [this.leases.tableArn] }));
    taskRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [props.directory.tableArn] }));
    grantObjects(taskRole, props.credentials, ['read'], 'bridges/');
    grantObjects(taskRole, props.credentials, ['read'], OBJECT_PREFIXES.credentials);
    taskRole.addToPolicy(new iam.PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }));
    acknowledgeWildcardResources(taskRole, ['*'], 'iot:DescribeEndpoint has no resource type in IAM: the bridge looks up the account\'s IoT data endpoint at start.');
    container.node.addDependency(taskRole);

    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', { vpc, description: 'LwM2M bridge tasks', allowAllOutbound: true });
    for (const port of Object.values(ports)) {
      nlbSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(port), `LwM2M devices anywhere (udp/${port})`);
      nlbSecurityGroup.addEgressRule(taskSecurityGroup, ec2.Port.udp(port), `to the bridge tasks (udp/${port})`);
      taskSecurityGroup.addIngressRule(nlbSecurityGroup, ec2.Port.udp(port), `from the load balancer (udp/${port})`);
    }
    nlbSecurityGroup.addEgressRule(taskSecurityGroup, ec2.Port.tcp(HEALTH_PORT), 'health checks');
    taskSecurityGroup.addIngressRule(nlbSecurityGroup, ec2.Port.tcp(HEALTH_PORT), 'health checks from the load balancer');
    Validations.of(nlbSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: `Devices in the field reach the LwM2M server from any address; only ${Object.values(ports).map((p) => `udp/${p}`).join(' and ')} ${plainCoap ? 'are' : 'is'} open, and DTLS PSK authenticates each device.`,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: asInterface<ecs.ICluster>(this.cluster),
      taskDefinition: this.taskDefinition,
      desiredCount: minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: MAX_HEALTHY_PERCENT,
      securityGroups: [taskSecurityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
    });

    for (const [name, port] of Object.entries(ports)) {
      const listener = this.loadBalancer.addListener(`${name.charAt(0).toUpperCase()}${name.slice(1)}`, { port, protocol: elbv2.Protocol.UDP });
      listener.addTargets(`${name}Tasks`, {
        port,
        protocol: elbv2.Protocol.UDP,
        targets: [this.service.loadBalancerTarget({ containerName: 'Bridge', containerPort: port, protocol: ecs.Protocol.UDP })],
        healthCheck: { protocol: elbv2.Protocol.HTTP, port: String(HEALTH_PORT), path: '/health', interval: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
        // A registration outlives short silences: keep a device's flow on its task between updates.
        deregistrationDelay: Duration.seconds(60),
      });
      this.listeners.push(listener);
    }

    this.scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    this.scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60, scaleInCooldown: Duration.minutes(10), scaleOutCooldown: Duration.minutes(1) });

    // One IoT policy per bridge identity, from runtime code; retained like the device policy
    // (IoT refuses to delete a policy attached to a certificate).
    this.bridgePolicies = bridgeIds.map((bridgeId) => {
      const policy = new iot.CfnPolicy(this, `BridgePolicy-${bridgeId}`, { policyName: bridgePolicyName(bridgeId), policyDocument: bridgePolicyFor(this, bridgeId) });
      policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return policy;
    });
    // Each id's thing and certificate, stored at bridges/<id>/mqtt.json before any task starts.
    this.identities = new BridgeIdentities(this, 'Identities', { credentials: props.credentials, bridgeIds, policies: this.bridgePolicies });
    this.service.node.addDependency(this.identities.resource);
  }
}
