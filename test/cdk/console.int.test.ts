import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../functions/api/auth/permissions.ts';
import { LAMBDA_ENV } from '../../functions/lambda/env.ts';
import { buildApp } from '../../infra/cdk/app.ts';
import {
  CONSOLE_CONFIG_FILE,
  CONSOLE_TOKEN_VALIDITY,
  HASHED_ASSETS_CACHE_CONTROL,
  HASHED_ASSETS_PATH,
  PAGE_CACHE_CONTROL,
} from '../../infra/cdk/constructs/console.ts';
import { PUBLIC_ROUTES } from '../../infra/cdk/constructs/fleetApi.ts';
import type { FleetStack } from '../../infra/cdk/stacks/fleetStack.ts';
import type { CfnResource } from './synthesizedFleet.ts';
import { asList, resolvePseudo, TEST_ENV, type Statement } from './templateValues.ts';

// The whole app with a console: a minimal build in a temporary folder (no vite build needed), the
// Lambdas bundled by the local esbuild, cdk-nag registered as in `npm run synth`.
let build: string;
let outdir: string;
let app: App;
let stack: FleetStack;
let resources: Record<string, CfnResource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const only = (type: string): [string, CfnResource] => {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const idOf = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
const props = (id: string) => resources[id]!.Properties!;
const console_ = () => stack.operatorConsole!;

/** An intrinsic as readable text: `{Logical.Attr}` for GetAtt, `{Logical}` for Ref, joins joined; pseudo parameters as TEST_ENV. */
const render = (value: unknown): string => {
  const v = resolvePseudo(value);
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.Ref === 'string') return `{${o.Ref}}`;
  if (Array.isArray(o['Fn::GetAtt'])) return `{${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  if (Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  if (typeof o['Fn::Sub'] === 'string') return o['Fn::Sub'];
  return JSON.stringify(o);
};

/** The deployment's sources as the custom resource hands them over: the staged folder and its markers. */
const deploymentSources = () => {
  const [, deployment] = only('Custom::CDKBucketDeployment');
  const p = deployment.Properties!;
  const keys = p.SourceObjectKeys as string[];
  const markers = p.SourceMarkers as Record<string, unknown>[];
  return keys.map((key, i) => ({ dir: join(outdir, `asset.${key.replace(/\.zip$/, '')}`), markers: markers[i] ?? {} }));
};
/** A staged file with its deploy-time markers replaced by `render`ed intrinsics. */
const deployedFile = (name: string): string => {
  const source = deploymentSources().find((s) => readdirSync(s.dir).includes(name));
  expect(source, `a deployment source holds ${name}`).toBeDefined();
  let text = readFileSync(join(source!.dir, name), 'utf8');
  for (const [marker, value] of Object.entries(source!.markers)) text = text.split(marker).join(render(value));
  return text;
};

const distributionId = () => idOf(console_().distribution);
const distributionUrl = () => `https://{${distributionId()}.DomainName}/`;
const cognitoDomainUrl = () => `https://{${idOf(console_().domain)}}.auth.${TEST_ENV.region}.amazoncognito.com`;

beforeAll(() => {
  build = mkdtempSync(join(tmpdir(), 'console-build-'));
  mkdirSync(join(build, 'assets'));
  writeFileSync(join(build, 'index.html'), '<!doctype html><html><head><title>Fleet console</title><script type="module" src="./assets/index-Ab12.js"></script></head><body></body></html>');
  writeFileSync(join(build, 'assets', 'index-Ab12.js'), 'document.title = "console";');
  process.env.CDK_VALIDATION = 'false';
  outdir = mkdtempSync(join(tmpdir(), 'fleet-cdk-console-'));
  ({ app, stack } = buildApp({ outdir, consoleAssets: build }));
  // Synthesizing stages the assets (read below) and runs the cdk-nag plugin: a finding throws here.
  app.synth();
  resources = (Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> }).Resources;
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(build, { recursive: true, force: true });
});

describe('console bucket', () => {
  it('is private: public access blocked, encrypted, TLS only, access logged to the stack log bucket', () => {
    const bucketId = idOf(console_().bucket);
    expect(props(bucketId)).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: idOf(stack.storage.accessLogs) }, LogFilePrefix: 'console/' },
    });
    expect(props(bucketId).WebsiteConfiguration).toBeUndefined();
  });

  it('lets only this distribution read it (OAC, SourceArn), and refuses plain HTTP', () => {
    const bucketId = idOf(console_().bucket);
    const [, policy] = ofType('AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties!.Bucket) === JSON.stringify({ Ref: bucketId }))!;
    const statements = asList((policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement) as (Statement & { Condition?: Record<string, unknown> })[];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(render((allows[0]!.Condition!.StringEquals as Record<string, unknown>)['AWS:SourceArn'])).toBe(`arn:aws:cloudfront::${TEST_ENV.accountId}:distribution/{${distributionId()}}`);
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }))).toBe(true);
  });
});

describe('distribution', () => {
  const config = () => props(distributionId()).DistributionConfig as Record<string, unknown>;
  const behaviors = () => [config().DefaultCacheBehavior, ...asList(config().CacheBehaviors as unknown[])] as Record<string, unknown>[];

  it('reaches the bucket through an origin access control that signs every request', () => {
    const [oacId, oac] = only('AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties!.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    const origins = config().Origins as Record<string, unknown>[];
    expect(origins).toHaveLength(1);
    expect(origins[0]).toMatchObject({ DomainName: { 'Fn::GetAtt': [idOf(console_().bucket), 'RegionalDomainName'] }, OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] } });
  });

  it('serves index.html at the root, over HTTPS only, and logs to the stack log bucket', () => {
    expect(config()).toMatchObject({ DefaultRootObject: 'index.html', Enabled: true, Logging: { Bucket: { 'Fn::GetAtt': [idOf(stack.storage.accessLogs), 'RegionalDomainName'] } } });
    for (const b of behaviors()) expect(b).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
  });

  it('caches hashed assets for a year and nothing else, and tells browsers the same', () => {
    const [pages, ...others] = behaviors();
    expect(others.map((b) => b.PathPattern)).toEqual([HASHED_ASSETS_PATH]);
    // CloudFront's managed CachingDisabled policy.
    expect(pages!.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    const assetsCache = props((others[0]!.CachePolicyId as { Ref: string }).Ref).CachePolicyConfig as Record<string, number>;
    expect(assetsCache.DefaultTTL).toBe(365 * 24 * 3600);
    expect(assetsCache.MinTTL).toBeGreaterThanOrEqual(24 * 3600);

    const cacheControl = (behavior: Record<string, unknown>) => {
      const policy = props((behavior.ResponseHeadersPolicyId as { Ref: string }).Ref).ResponseHeadersPolicyConfig as { CustomHeadersConfig: { Items: { Header: string; Value: string; Override: boolean }[] } };
      return policy.CustomHeadersConfig.Items.filter((h) => h.Header.toLowerCase() === 'cache-control').map((h) => `${h.Value} override=${h.Override}`);
    };
    expect(cacheControl(pages!)).toEqual([`${PAGE_CACHE_CONTROL} override=true`]);
    expect(cacheControl(others[0]!)).toEqual([`${HASHED_ASSETS_CACHE_CONTROL} override=true`]);
  });

  it('sends a strict CSP, HSTS, nosniff and frame-deny on every path', () => {
    const policies = behaviors().map((b) => props((b.ResponseHeadersPolicyId as { Ref: string }).Ref).ResponseHeadersPolicyConfig as Record<string, Record<string, Record<string, unknown>>>);
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const security = policy.SecurityHeadersConfig!;
      expect(security.StrictTransportSecurity).toMatchObject({ Override: true });
      expect(security.StrictTransportSecurity!.AccessControlMaxAgeSec as number).toBeGreaterThanOrEqual(365 * 24 * 3600);
      expect(security.ContentTypeOptions).toEqual({ Override: true });
      expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
      expect(security.ContentSecurityPolicy!.Override).toBe(true);
      const csp = render(security.ContentSecurityPolicy!.ContentSecurityPolicy);
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources]));
      expect(directives.get('default-src')).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
      expect(directives.get('connect-src')).toEqual(["'self'", cognitoDomainUrl(), `https://*.execute-api.${TEST_ENV.region}.amazonaws.com`]);
      expect(csp).not.toMatch(/unsafe-/);
    }
  });

  it('ships an index.html whose own CSP narrows connect-src to the exact API URL and Cognito domain', () => {
    const html = deployedFile('index.html');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
    expect(meta?.[1]).toBe(`connect-src 'self' ${cognitoDomainUrl()} {${idOf(stack.api.api)}.ApiEndpoint}`);
    // The meta comes before the build's script, so it governs it.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
  });
});

describe('deployment', () => {
  it(`writes the build and ${CONSOLE_CONFIG_FILE} with the deploy-time values the console signs in with`, () => {
    const [, deployment] = only('Custom::CDKBucketDeployment');
    expect(deployment.Properties).toMatchObject({ DestinationBucketName: { Ref: idOf(console_().bucket) }, Prune: false });
    const sources = deploymentSources();
    expect(sources).toHaveLength(3);
    expect(readdirSync(join(sources[0]!.dir, 'assets'))).toEqual(['index-Ab12.js']);
    expect(readdirSync(sources[0]!.dir)).not.toContain('index.html');

    const config = JSON.parse(deployedFile(CONSOLE_CONFIG_FILE)) as Record<string, unknown>;
    expect(config).toEqual({
      mode: 'cognito',
      apiBase: `{${idOf(stack.api.api)}.ApiEndpoint}`,
      cognitoDomain: cognitoDomainUrl(),
      clientId: `{${idOf(console_().client)}}`,
      redirectUri: distributionUrl(),
    });
  });

  it('runs under a role that reads exactly its source archives and writes only the console bucket, with no wildcard action', () => {
    const fnId = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('CustomCDKBucketDeployment'))![0];
    const roleId = idOf(console_().deployRole);
    expect(props(fnId).Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties!.Roles).includes(`"${roleId}"`))
      .flatMap(([, p]) => asList((p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement));
    expect(resources[roleId]!.Properties!.ManagedPolicyArns).toBeUndefined();
    const actions = statements.flatMap((s) => asList(s.Action));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect([...new Set(actions)].sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);

    const reads = statements.filter((s) => asList(s.Action).includes('s3:GetObject')).flatMap((s) => asList(s.Resource).map(render));
    const keys = (only('Custom::CDKBucketDeployment')[1].Properties!.SourceObjectKeys as string[]).sort();
    expect(reads.map((r) => r.split('/').pop()).sort()).toEqual(keys);
    const writes = statements.filter((s) => asList(s.Action).includes('s3:PutObject')).flatMap((s) => asList(s.Resource).map(render));
    expect(writes).toEqual([`{${idOf(console_().bucket)}.Arn}/*`]);
  });
});

describe('sign-in', () => {
  it('gives the user pool a hosted-UI domain named after the stack, made unique by the stack id', () => {
    const [, domain] = only('AWS::Cognito::UserPoolDomain');
    expect(domain.Properties!.UserPoolId).toEqual({ Ref: idOf(stack.api.userPool) });
    const name = render(domain.Properties!.Domain);
    expect(name.startsWith('lwm2mfleet-')).toBe(true);
    expect(JSON.stringify(domain.Properties!.Domain)).toContain('AWS::StackId');
  });

  it('has a console app client: public, code grant only, OpenID scopes, callback and sign-out at the distribution, 1 h ID tokens', () => {
    const client = props(idOf(console_().client));
    expect(client).toMatchObject({
      UserPoolId: { Ref: idOf(stack.api.userPool) },
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      IdTokenValidity: CONSOLE_TOKEN_VALIDITY.toMinutes(),
      TokenValidityUnits: { IdToken: 'minutes' },
      EnableTokenRevocation: true,
    });
    expect([...(client.AllowedOAuthScopes as string[])].sort()).toEqual(['email', 'openid', 'profile']);
    expect(asList(client.CallbackURLs as unknown[]).map(render)).toEqual([distributionUrl()]);
    expect(asList(client.LogoutURLs as unknown[]).map(render)).toEqual([distributionUrl()]);
    expect(asList(client.ExplicitAuthFlows as string[])).not.toContain('ALLOW_USER_PASSWORD_AUTH');
  });

  it("lets the gateway's JWT authorizer and the API Lambda accept the console client's tokens as well as the API client's", () => {
    const [, authorizer] = only('AWS::ApiGatewayV2::Authorizer');
    const audience = (authorizer.Properties!.JwtConfiguration as { Audience: unknown[] }).Audience;
    expect(audience).toEqual([{ Ref: idOf(stack.api.client) }, { Ref: idOf(console_().client) }]);
    const env = (props(idOf(stack.api.handler.fn)).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(render(env[LAMBDA_ENV.userPoolClientIds])).toBe(`{${idOf(stack.api.client)}},{${idOf(console_().client)}}`);
  });
});

describe('CORS on the API', () => {
  it("admits the distribution's origin only, with the methods of the permission table and the two headers the console sends", () => {
    const cors = props(idOf(stack.api.api)).CorsConfiguration as Record<string, unknown>;
    expect(asList(cors.AllowOrigins as unknown[]).map(render)).toEqual([`https://{${distributionId()}.DomainName}`]);
    expect(cors.AllowMethods).toEqual([...new Set(PERMISSIONS.map((p) => p.method))].sort());
    expect(cors.AllowHeaders).toEqual(['authorization', 'content-type']);
    expect(cors.AllowCredentials).toBeUndefined();
  });

  it('lets preflights past the authorizer on OPTIONS /{proxy+} only; every other route but the public ones keeps it', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!);
    const open = routes.filter((r) => r.AuthorizationType === 'NONE').map((r) => r.RouteKey).sort();
    expect(open).toEqual(['OPTIONS /{proxy+}', ...PUBLIC_ROUTES.map((r) => `${r.method} ${r.path}`)].sort());
    expect(routes.filter((r) => r.AuthorizationType !== 'NONE').map((r) => [r.RouteKey, r.AuthorizationType])).toEqual([['$default', 'JWT']]);
  });
});

describe('the stack as a whole', () => {
  it("keeps the distribution independent of the API, whose CORS names the distribution (the reverse too would be a cycle)", () => {
    // Template.fromStack refuses a template with a cycle outright; this says which edge must not come back.
    const refs = (value: unknown, out: Set<string>): Set<string> => {
      if (Array.isArray(value)) for (const v of value) refs(v, out);
      else if (value && typeof value === 'object') {
        const o = value as Record<string, unknown>;
        if (typeof o.Ref === 'string' && o.Ref in resources) out.add(o.Ref);
        if (Array.isArray(o['Fn::GetAtt']) && (o['Fn::GetAtt'] as string[])[0]! in resources) out.add((o['Fn::GetAtt'] as string[])[0]!);
        for (const v of Object.values(o)) refs(v, out);
      }
      return out;
    };
    const edges = new Map(Object.entries(resources).map(([id, r]) => [id, new Set([...refs(r.Properties, new Set()), ...asList(r.DependsOn)])]));
    const reachable = (from: string, seen = new Set<string>()): Set<string> => {
      for (const next of edges.get(from) ?? []) if (!seen.has(next)) reachable(next, seen.add(next));
      return seen;
    };
    const apiId = idOf(stack.api.api);
    expect(edges.get(apiId)!.has(distributionId())).toBe(true);
    expect(reachable(distributionId()).has(apiId)).toBe(false);
  });

  it('leaves cdk-nag nothing unacknowledged, and every acknowledgement on the console has its reason', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    const acknowledged = [console_(), ...stack.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))]
      .flatMap((root) => root.node.findAll())
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id: id.replace(/^[A-Za-z]+::/, ''), reason })));
    expect(acknowledged.map((a) => a.id).sort()).toEqual(
      [
        'AwsSolutions-CFR1',
        'AwsSolutions-CFR2',
        'AwsSolutions-CFR4',
        `AwsSolutions-IAM5[Resource::<${idOf(console_().bucket)}.Arn>/*]`,
        'AwsSolutions-L1',
      ].sort(),
    );
    for (const a of acknowledged) expect(a.reason.length, a.id).toBeGreaterThan(60);
  });
});
