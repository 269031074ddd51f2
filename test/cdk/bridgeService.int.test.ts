import { execSync, spawn } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ENV_NAMES } from '../../functions/bridge/bridgeEnv.ts';
import { bridgeLeaseTableInput } from '../../functions/bridge/bridgeIdLease.ts';
import { writeStoredBridgeIdentity } from '../../functions/bridge/storedBridgeIdentity.ts';
import { issueDevicePsk, readDevicePsk } from '../../functions/dtls/devicePsk.ts';
import { createS3ObjectStore } from '../../functions/objectStore/s3ObjectStore.ts';
import { issueBridgeCertificate } from '../../functions/registry/localCa.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { bridgePolicy, bridgePolicyName } from '../../functions/registry/devicePolicy.ts';
import { BRIDGE_DOCKERFILE, bridgeIdPool, HEALTH_PORT, LWM2M_PORTS } from '../../infra/cdk/constructs/bridgeService.ts';
import { BridgeStatus } from '../../schemas/bridge/bridgeEvents.ts';
import { json, startBackend, within, type Backend } from '../bridge/support.ts';
import { DtlsDevice } from '../dtls/support/dtlsDevice.ts';
import { createProjectionTables, eventStamper } from '../directory/support/dynamoProjections.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { newEvent, provisioned } from '../support/events.ts';
import { startS3StandIn, type S3StandIn } from '../support/s3StandIn.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';
import { asList, resolvePseudo, TEST_ENV } from './templateValues.ts';

/**
 * The Fargate task as the stack defines it: functions/bridge/main.ts started with exactly the
 * environment of the synthesized task definition, its references resolved to local stand-ins:
 * dynalite for the lease and directory tables (the directory folded by the stream projector's code), an S3 stand-in over HTTP for the credentials
 * bucket, a DescribeEndpoint stand-in for IoT's control plane (it cannot run here) that names the
 * embedded broker. The test adds only what ECS and AWS provide (region, credentials), where the
 * SDK finds those services (AWS_ENDPOINT_URL_*), the stand-in broker's port and CA (AWS IoT's is
 * 8883 and Amazon Root CA 1), and ephemeral ports in place of 5684 and 8080.
 */

const REPO = resolve(import.meta.dirname, '../..');
const NLB_DNS = 'fleet-nlb-0123456789.elb.eu-west-1.amazonaws.com';
const BUCKET = 'fleet-credentials-test';

let fleet: SynthesizedFleet;
let taskEnv: Record<string, string>;
let dynamo: LocalDynamo;
let s3: S3StandIn;
let iot: { server: Server; seen: { method: string; url: string; authorization: string }[]; endpoint: string };
let backend: Backend;
const tableNames: Record<string, string> = {};
const children: ReturnType<typeof spawn>[] = [];
const devices: DtlsDevice[] = [];
const bundles: string[] = [];

/** The stand-in answers DescribeEndpoint (GET /endpoint?endpointType=...) as the IoT API reference documents. */
const startIotStandIn = async () => {
  const seen: { method: string; url: string; authorization: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: String(req.headers.authorization ?? '') });
    if (req.method === 'GET' && req.url === '/endpoint?endpointType=iot%3AData-ATS') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ endpointAddress: 'localhost' }));
      return;
    }
    res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidRequestException' }).end('{"message":"unexpected request"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

/** Resolves the references a task definition's environment holds; anything else fails the test by name. */
const resolveValue = (name: string, value: unknown): string => {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string') {
    const type = fleet.resources[o.Ref]?.Type;
    if (type === 'AWS::S3::Bucket') return BUCKET;
    if (type === 'AWS::DynamoDB::Table') return (tableNames[o.Ref] ??= `table-${o.Ref}`.slice(0, 255));
  }
  if (Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveValue(name, p)).join(sep);
  }
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [id, attribute] = o['Fn::GetAtt'] as [string, string];
    if (fleet.resources[id]?.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && attribute === 'DNSName') return NLB_DNS;
  }
  throw new Error(`${name}: the test cannot resolve ${JSON.stringify(value)}; teach resolveValue what it stands for`);
};

const s3Client = () =>
  new S3Client({ region: 'eu-west-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });

/** The process as tests run it (tsx over the sources), or the bundle the Dockerfile builds, as the container runs it. */
const startTask = (command: readonly string[] = ['--import', 'tsx', resolve(REPO, 'functions/bridge/main.ts')]) => {
  const child = spawn(process.execPath, command, {
    env: {
      PATH: process.env.PATH ?? '',
      ...taskEnv,
      // What ECS and AWS provide, and where the stand-ins are.
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_IOT: iot.endpoint,
      FLEET_BRIDGE_MQTT_PORT: String(backend.port),
      FLEET_BRIDGE_CA_PEM: backend.ca.certificatePem,
      LWM2M_COAPS_PORT: '0',
      FLEET_BRIDGE_HEALTH_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const running = within(
    30_000,
    'the bridge task printing that it runs',
    new Promise<RegExpMatchArray>((ok, fail) => {
      const check = () => {
        const m = /LwM2M bridge (\S+) is running: coaps:\/\/0\.0\.0\.0:(\d+) health http:\/\/0\.0\.0\.0:(\d+)\/health -> (\S+)/.exec(stdout);
        if (m) ok(m);
      };
      child.stdout.on('data', check);
      void exited.then((code) => fail(new Error(`the bridge task exited (${code}): ${stderr}`)));
    }),
  );
  // A task that is expected to fail is asked only for its exit.
  running.catch(() => undefined);
  return { child, exited, running, output: () => ({ stdout, stderr }) };
};

const health = (port: number) =>
  new Promise<{ status: number; body: Record<string, unknown> }>((ok, fail) => {
    request({ host: '127.0.0.1', port, path: '/health' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(body) as Record<string, unknown> }));
    })
      .on('error', fail)
      .end();
  });

const leaseOf = async (bridgeId: string) =>
  (await DynamoDBDocumentClient.from(dynamo.client).send(new GetCommand({ TableName: taskEnv.FLEET_BRIDGE_LEASE_TABLE, Key: { bridgeId } }))).Item;

beforeAll(async () => {
  fleet = synthesizeFleet();
  const task = fleet.resources[fleet.logicalId(fleet.stack.bridge.taskDefinition)]!.Properties!;
  const [container] = task.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[] }[];
  [dynamo, s3, iot, backend] = await Promise.all([startDynalite(), startS3StandIn(BUCKET), startIotStandIn(), startBackend()]);
  taskEnv = Object.fromEntries(container!.Environment.map((e) => [e.Name, resolveValue(e.Name, e.Value)]));

  await dynamo.client.send(new CreateTableCommand(bridgeLeaseTableInput(taskEnv.FLEET_BRIDGE_LEASE_TABLE!)));
  // The first id of the pool has its identity (what the BridgeIdentities resource stores); the second has none.
  const credentials = createS3ObjectStore({ client: s3Client(), bucket: BUCKET });
  const cert = await issueBridgeCertificate(backend.ca, 'aws-1');
  await writeStoredBridgeIdentity(credentials, { bridgeId: 'aws-1', certificateId: cert.certificateId, certificatePem: cert.certificatePem, privateKeyPem: cert.privateKeyPem });
  await issueDevicePsk({ credentials, thingName: 'field-unit-9' });
  // The directory knows field-unit-9 as provisioned and field-unit-10 as deprovisioned (whose PSK is still stored here).
  await issueDevicePsk({ credentials, thingName: 'field-unit-10' });
  const directory = await createProjectionTables(dynamo, ['directory'], { directory: taskEnv.DIRECTORY_TABLE! });
  const stamp = eventStamper();
  await directory.project([
    ...stamp('device-field-unit-9', [provisioned('field-unit-9')]),
    ...stamp('device-field-unit-10', [provisioned('field-unit-10'), newEvent('DeviceDeprovisioned', { thingName: 'field-unit-10', reason: 'returned' })]),
  ]);
}, 180_000);

afterAll(async () => {
  for (const d of devices) await d.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await backend?.close();
  await dynamo?.close();
  await s3?.close();
  await new Promise((r) => iot?.server.close(r));
  fleet?.remove();
  for (const dir of bundles) rmSync(dir, { recursive: true, force: true });
});

describe('the bridge task as synthesized', () => {
  it('sets only variables the bridge reads, and no secret', () => {
    expect(Object.keys(taskEnv).filter((name) => !BRIDGE_ENV_NAMES.includes(name))).toEqual([]);
    // Six tasks at most, twice that while a deployment replaces them.
    expect(taskEnv.FLEET_BRIDGE_ID_POOL).toBe(bridgeIdPool(6).join(','));
    expect(bridgeIdPool(6)).toHaveLength(12);
    expect(Object.keys(taskEnv).some((name) => /KEY|PEM|SECRET|PSK/.test(name))).toBe(false);
  });

  it('claims an id, loads its certificate, finds the broker, and relays a DTLS device; SIGTERM gives the id back', async () => {
    const task = startTask();
    const [, bridgeId, coapsPort, healthPort, brokerUrl] = await task.running;
    expect(bridgeId).toBe('aws-1');
    expect(brokerUrl).toBe(`mqtts://localhost:${backend.port}`);
    // DescribeEndpoint, signed for the IoT control plane.
    expect(iot.seen.map((r) => [r.method, r.url])).toEqual([['GET', '/endpoint?endpointType=iot%3AData-ATS']]);
    expect(iot.seen[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/iot\/aws4_request/);
    expect(s3.seen.filter((r) => r.method === 'GET').map((r) => r.path)).toContain(`/${BUCKET}/bridges/aws-1/mqtt.json`);

    const online = await backend.next('online', (m) => m.topic === 'dt/lwm2m-bridge/aws-1/status');
    expect(BridgeStatus.parse(json(online))).toMatchObject({ status: 'online', lwm2mEndpoints: [`coaps://${NLB_DNS}:5684`] });
    expect(await health(Number(healthPort))).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok', bridgeId: 'aws-1', mqtt: 'connected' }) as unknown });
    expect(await leaseOf('aws-1')).toMatchObject({ bridgeId: 'aws-1', holder: expect.any(String) as unknown });

    const credentials = createS3ObjectStore({ client: s3Client(), bucket: BUCKET });
    const device = await DtlsDevice.open(Number(coapsPort), 'field-unit-9', (await readDevicePsk(credentials, 'field-unit-9'))!.key);
    devices.push(device);
    expect((await device.register('field-unit-9')).code).toBe(0x41);
    expect(json(await backend.nextEvent('aws-1', 'register', 'field-unit-9'))).toMatchObject({ endpoint: 'field-unit-9', transport: 'coaps' });

    // The directory decides: a deprovisioned device gets no session, even with its key.
    await expect(DtlsDevice.open(Number(coapsPort), 'field-unit-10', (await readDevicePsk(credentials, 'field-unit-10'))!.key)).rejects.toThrow();
    const refused = await backend.next('auth-failed', (m) => m.topic === 'dt/lwm2m-bridge/aws-1/auth-failed');
    expect(json(refused)).toMatchObject({ reason: 'unknown-identity' });

    // A second task takes the next free id, which has no identity: it says so, exits, and frees the id.
    const second = startTask();
    expect(await within(30_000, 'the second task exiting', second.exited)).toBe(1);
    expect(second.output().stderr).toContain(`${BUCKET}/bridges/aws-2/mqtt.json does not exist: the bridge identity aws-2 was never created.`);
    expect(await leaseOf('aws-2')).toBeUndefined();

    const before = backend.received.length;
    task.child.kill('SIGTERM');
    expect(await within(15_000, 'the task exiting', task.exited)).toBe(0);
    const offline = await backend.next('offline', (m) => backend.received.indexOf(m) >= before && m.topic === 'dt/lwm2m-bridge/aws-1/status');
    expect(BridgeStatus.parse(json(offline))).toMatchObject({ status: 'offline' });
    expect(await leaseOf('aws-1')).toBeUndefined();
  });

  it('starts from the bundle the Dockerfile builds, with the same command line', async () => {
    // The build stage's esbuild command, run as written but for the output file; beside node_modules, so its externals resolve as in the image.
    const dockerfile = readFileSync(join(REPO, BRIDGE_DOCKERFILE), 'utf8').replace(/\\\n\s*/g, '');
    const build = /^RUN (npx esbuild functions\/bridge\/main\.ts .*--outfile=)dist\/bridge\.mjs(.*)$/m.exec(dockerfile);
    expect(build, 'the Dockerfile bundles functions/bridge/main.ts into dist/bridge.mjs').not.toBeNull();
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/bridge\.mjs"\]$/m);
    const outDir = mkdtempSync(join(REPO, 'node_modules', '.bridge-bundle-'));
    bundles.push(outDir);
    execSync(`${build![1]}${join(outDir, 'bridge.mjs')}${build![2]}`, { cwd: REPO, stdio: 'pipe' });

    const before = backend.received.length;
    const task = startTask(['--enable-source-maps', join(outDir, 'bridge.mjs')]);
    const [, bridgeId] = await task.running;
    expect(bridgeId).toMatch(/^aws-\d+$/);
    await backend.next('online from the bundle', (m) => m.topic === `dt/lwm2m-bridge/${bridgeId}/status` && backend.received.indexOf(m) >= before && BridgeStatus.parse(json(m)).status === 'online');
    task.child.kill('SIGTERM');
    expect(await within(15_000, 'the bundled task exiting', task.exited)).toBe(0);
    expect(await leaseOf(bridgeId!)).toBeUndefined();
  });
});

describe('the bridge service as synthesized', () => {
  it('listens on UDP 5684 (DTLS) only, behind an internet-facing NLB, forwarding to the service with HTTP health checks', () => {
    const nlb = fleet.resources[fleet.logicalId(fleet.stack.bridge.loadBalancer)]!.Properties!;
    expect(nlb).toMatchObject({ Type: 'network', Scheme: 'internet-facing' });
    const listeners = fleet.ofType('AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties!);
    expect(listeners.map((l) => [l.Protocol, l.Port])).toEqual([['UDP', LWM2M_PORTS.coaps]]);
    const groups = fleet.ofType('AWS::ElasticLoadBalancingV2::TargetGroup').map(([, g]) => g.Properties!);
    expect(groups.map((g) => [g.Protocol, g.Port, g.TargetType])).toEqual([['UDP', LWM2M_PORTS.coaps, 'ip']]);
    for (const g of groups) expect(g).toMatchObject({ HealthCheckProtocol: 'HTTP', HealthCheckPort: String(HEALTH_PORT), HealthCheckPath: '/health' });
    const service = fleet.resources[fleet.logicalId(fleet.stack.bridge.service)]!.Properties!;
    expect(asList(service.LoadBalancers as { ContainerPort: number }[]).map((l) => l.ContainerPort)).toEqual([LWM2M_PORTS.coaps]);
    expect(service).toMatchObject({ LaunchType: 'FARGATE', NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } } });
  });

  it('opens only the DTLS port to the world, and the tasks only to the load balancer', () => {
    const groups = fleet.ofType('AWS::EC2::SecurityGroup').map(([, g]) => g.Properties!);
    const open = groups.flatMap((g) => asList(g.SecurityGroupIngress as { CidrIp?: string; IpProtocol: string; FromPort: number }[])).filter((r) => r.CidrIp === '0.0.0.0/0');
    expect(open.map((r) => [r.IpProtocol, r.FromPort])).toEqual([['udp', LWM2M_PORTS.coaps]]);
    const taskIngress = fleet.ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties!);
    expect(taskIngress.every((r) => r.SourceSecurityGroupId !== undefined && r.CidrIp === undefined)).toBe(true);
    expect(taskIngress.map((r) => [r.IpProtocol, r.FromPort]).sort()).toEqual([
      ['tcp', HEALTH_PORT],
      ['udp', LWM2M_PORTS.coaps],
    ]);
  });

  it('scales the service on CPU between 2 and 6 tasks, with an identity pool for twice that (a deployment overlaps old and new tasks)', () => {
    const target = fleet.ofType('AWS::ApplicationAutoScaling::ScalableTarget').map(([, t]) => t.Properties!);
    expect(target).toEqual([expect.objectContaining({ MinCapacity: 2, MaxCapacity: 6, ScalableDimension: 'ecs:service:DesiredCount' })]);
    const policy = fleet.ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties!);
    expect(policy).toEqual([
      expect.objectContaining({
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: expect.objectContaining({ TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }) as unknown,
      }),
    ]);
    expect(fleet.stack.bridge.bridgePolicies.length).toBe(12);
    expect(fleet.resources[fleet.logicalId(fleet.stack.bridge.service)]!.Properties).toMatchObject({ DeploymentConfiguration: { MaximumPercent: 200, MinimumHealthyPercent: 100 } });
  });

  it('deploys one IoT policy per bridge identity, exactly bridgePolicy() of functions/registry/devicePolicy.ts, retained', () => {
    const policies = fleet.ofType('AWS::IoT::Policy').filter(([, p]) => String(p.Properties!.PolicyName).startsWith('lwm2m-bridge-'));
    expect(policies.map(([, p]) => p.Properties!.PolicyName).sort()).toEqual(bridgeIdPool(6).map(bridgePolicyName).sort());
    expect(policies).toHaveLength(12);
    for (const [, p] of policies) {
      const id = String(p.Properties!.PolicyName).slice('lwm2m-bridge-'.length);
      expect(p.DeletionPolicy).toBe('Retain');
      expect(resolvePseudo(p.Properties!.PolicyDocument)).toEqual(bridgePolicy(id, TEST_ENV));
    }
  });

  it('runs the container built from the bridge Dockerfile (arm64), reading secrets from the credentials bucket, not the environment', () => {
    const task = fleet.resources[fleet.logicalId(fleet.stack.bridge.taskDefinition)]!.Properties!;
    expect(task).toMatchObject({ RequiresCompatibilities: ['FARGATE'], RuntimePlatform: { CpuArchitecture: 'ARM64' } });
    const [container] = asList(task.ContainerDefinitions as { Environment: { Name: string }[]; ReadonlyRootFilesystem: boolean; PortMappings: unknown[] }[]);
    expect(container!.ReadonlyRootFilesystem).toBe(true);
    expect(container!.Environment.map((e) => e.Name)).not.toContain(LAMBDA_ENV.credentialsKeyArn);
    // Staged, not built: the assets manifest names the Dockerfile and the staged context.
    const manifest = JSON.parse(readFileSync(join(fleet.outdir, `${fleet.stack.stackName}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images.map((i) => [i.source.dockerFile, i.source.platform])).toEqual([[BRIDGE_DOCKERFILE, 'linux/arm64']]);
    const context = readdirSync(join(fleet.outdir, images[0]!.source.directory)).sort();
    expect(context).toEqual(expect.arrayContaining(['events', 'functions', 'package-lock.json', 'package.json', 'schemas']));
    for (const leftOut of ['node_modules', '.git', 'cdk.out', 'workflows']) expect(context).not.toContain(leftOut);
    // Of the tests, only the stand-in package npm ci needs goes into the image's build context.
    const contextDir = join(fleet.outdir, images[0]!.source.directory);
    expect(readdirSync(join(contextDir, 'test'))).toEqual(['support']);
    expect(readdirSync(join(contextDir, 'test', 'support'))).toEqual(['no-aead-crypto']);
    const taskRole = fleet.stack.bridge.taskDefinition.taskRole as never;
    const actions = allowedActions(fleet.statementsOf(taskRole));
    expect(actions).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'iot:DescribeEndpoint', 'kms:Decrypt', 's3:GetObject', 's3:ListBucket']);
  });

  it('lets the task role claim leases on its own table and read the directory, item by item', () => {
    const statements = fleet.statementsOf(fleet.stack.bridge.taskDefinition.taskRole as never).filter((st) => asList(st.Action).some((a) => a.startsWith('dynamodb:')));
    const leases = { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.bridge.leases), 'Arn'] };
    const directory = { 'Fn::GetAtt': [fleet.logicalId(fleet.stack.projections.tables.directory), 'Arn'] };
    expect(statements.map((st) => [asList(st.Action).sort(), st.Resource])).toEqual([
      [['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], leases],
      [['dynamodb:GetItem'], directory],
    ]);
    expect(fleet.resources[fleet.logicalId(fleet.stack.bridge.leases)]).toMatchObject({
      Properties: { KeySchema: [{ AttributeName: 'bridgeId', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' },
      DeletionPolicy: 'Delete',
    });
  });

  it('creates every pool id’s identity at deploy, after the bridge policies and before the service', () => {
    const identities = fleet.stack.bridge.identities;
    const resourceId = fleet.logicalId(identities.resource);
    const resource = fleet.resources[resourceId]!;
    expect(resource.Type).toBe('Custom::BridgeIdentities');
    expect(resource.Properties).toMatchObject({ BridgeIds: bridgeIdPool(6), ServiceToken: { 'Fn::GetAtt': [fleet.logicalId(identities.creator.fn), 'Arn'] } });
    const policyIds = fleet.stack.bridge.bridgePolicies.map((p) => fleet.stack.getLogicalId(p));
    expect(asList(resource.DependsOn)).toEqual(expect.arrayContaining(policyIds));
    expect(asList(fleet.resources[fleet.logicalId(fleet.stack.bridge.service)]!.DependsOn)).toContain(resourceId);
  });

  it('lets the identity creator touch bridge things, bridge policies, certificates and bridges/ of the bucket only', () => {
    const statements = fleet.statementsOf(fleet.stack.bridge.identities.creator.role);
    const iotResources = statements.filter((st) => asList(st.Action).some((a) => a.startsWith('iot:'))).flatMap((st) => asList(st.Resource as unknown[])).map((r) => JSON.stringify(resolvePseudo(r)));
    for (const r of iotResources) expect(r).toMatch(/^"\*"$|thing\/bridge:\*|policy\/lwm2m-bridge-\*|cert\/\*/);
    const star = statements.filter((st) => asList(st.Resource as unknown[]).includes('*')).flatMap((st) => asList(st.Action));
    expect(star.sort()).toEqual(['iot:CreateKeysAndCertificate', 'iot:ListPrincipalThings']);
    const s3Objects = statements.filter((st) => asList(st.Action).includes('s3:PutObject')).flatMap((st) => asList(st.Resource as unknown[]));
    expect(JSON.stringify(s3Objects)).toMatch(/\/bridges\/\*"/);
    expect(allowedActions(statements).filter((a) => !a.startsWith('iot:') && !a.startsWith('logs:'))).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      // The on-failure destination of an asynchronously invoked function (HandlerFunction).
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
  });
});
