import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import { asInterface } from '../cdkInterop.ts';
import { acknowledgeWildcardResources } from '../nagAcknowledgements.ts';
import type { FleetApi } from './fleetApi.ts';

export interface ConsoleProps {
  readonly api: FleetApi;
  /** The console's build: index.html and assets/ (`npm run build:web` writes functions/dashboard/dist). */
  readonly assets: string;
  /** The stack's access-log bucket: the console bucket's server access logs and the distribution's standard logs. */
  readonly accessLogs: s3.IBucket;
}

/** What the console reads beside index.html to know how to sign in (functions/dashboard/app/session.tsx `DashboardConfig`). */
export const CONSOLE_CONFIG_FILE = 'dashboard-config.json';

export interface ConsoleConfig {
  readonly mode: 'cognito';
  readonly apiBase: string;
  readonly cognitoDomain: string;
  readonly clientId: string;
  readonly redirectUri: string;
}

/** The console signs out when its ID token expires; an hour bounds what a stolen token is worth. */
export const CONSOLE_TOKEN_VALIDITY = Duration.hours(1);

/** Vite names every file under assets/ after its content hash: a new build never reuses a name. */
export const HASHED_ASSETS_PATH = '/assets/*';
export const HASHED_ASSETS_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html, dashboard-config.json and anything else at the root: always revalidated, so a deploy shows at once. */
export const PAGE_CACHE_CONTROL = 'no-cache';

const COGNITO_RESERVED = /aws|amazon|cognito/g;

/**
 * The readable part of the console's Cognito domain prefix: the stack name in lower case, runs of
 * other characters as one hyphen, without the words Cognito reserves (aws, amazon, cognito), at
 * most 40 characters so that the unique suffix still fits Cognito's 63.
 */
export const consoleDomainPrefix = (stackName: string): string => {
  if (Token.isUnresolved(stackName)) throw new Error('The console needs a literal stack name to derive its Cognito domain prefix from: give the stack a name, not a token.');
  const prefix = stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(COGNITO_RESERVED, '-')
    .replace(/-+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  if (!prefix) {
    throw new Error(
      `The stack name "${stackName}" leaves nothing for a Cognito domain prefix (lower-case letters, digits and hyphens, without aws, amazon or cognito): name the stack with some other letters or digits.`,
    );
  }
  return prefix;
};

/**
 * The Content-Security-Policy of every response: this origin only, plus the calls the console
 * makes elsewhere (the Cognito token endpoint, the API). The API is named by its region's
 * execute-api domain here: the API's own URL would make the distribution depend on the API while
 * the API's CORS configuration depends on the distribution (a CloudFormation cycle). index.html
 * carries a second policy naming the exact API URL (`withConnectPolicy`); a browser enforces both.
 */
export const consoleContentSecurityPolicy = (connect: readonly string[]): string =>
  [
    "default-src 'self'",
    `connect-src 'self' ${connect.join(' ')}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; ');

/**
 * index.html with a `<meta>` Content-Security-Policy that narrows `connect-src` to exactly these
 * origins, first in `<head>` so that it governs every script. Deploy-time tokens stay in the text:
 * BucketDeployment resolves them.
 */
export const withConnectPolicy = (html: string, connect: readonly string[]): string => {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) throw new Error('The console\'s index.html has no <head> element to put its Content-Security-Policy in: check the build output (npm run build:web).');
  const meta = `<meta http-equiv="Content-Security-Policy" content="connect-src 'self' ${connect.join(' ')}">`;
  const at = head.index + head[0].length;
  return `${html.slice(0, at)}\n    ${meta}${html.slice(at)}`;
};

/** The build's index.html; a folder without one is not a console build, and says how to make one. */
export const readConsoleIndex = (assets: string): string => {
  const indexFile = join(assets, 'index.html');
  if (!existsSync(indexFile)) {
    throw new Error(`The console build at ${assets} has no index.html: run \`npm run build:web\` (npm run synth does it when the build is missing), or pass the folder of a build.`);
  }
  return readFileSync(indexFile, 'utf8');
};

/**
 * The operator console on AWS (issue 9): the static build in a private bucket behind CloudFront
 * (origin access control, HTTPS only, security headers), signed in through the user pool's hosted
 * UI with the authorization-code flow and PKCE, calling the operator API across origins.
 *
 * - The bucket blocks public access, refuses plain HTTP and logs access; only this distribution
 *   reads it (OAC, SigV4).
 * - CloudFront caches hashed assets for a year and nothing else; the browser gets the same rules
 *   through Cache-Control, set per path by the response headers policies.
 * - `dashboard-config.json` is written at deploy with the API URL, the Cognito domain, the app
 *   client and the redirect URI, none of which exist before the stack does.
 * - The console's app client has no secret (a browser cannot keep one), the code grant only, and
 *   its tokens are admitted by the API (FleetApi.allowBrowserApp), whose CORS admits this origin.
 */
export class Console extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly domain: cognito.UserPoolDomain;
  readonly client: cognito.UserPoolClient;
  readonly deployment: s3deploy.BucketDeployment;
  readonly deployRole: iam.Role;
  /** `https://<distribution domain>/`: the console's address, its OAuth callback and sign-out URL. */
  readonly url: string;
  readonly origin: string;
  readonly config: ConsoleConfig;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const index = readConsoleIndex(props.assets);

    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console/',
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Retained like the stack's other buckets: a non-empty bucket would fail the stack's deletion,
      // and emptying it first would take one more custom resource.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Cognito domain prefixes are unique per region across all accounts: the stack name alone would
    // collide with every other deployment of this project, so the stack's own id finishes it.
    const stackIdPart = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
    this.domain = new cognito.UserPoolDomain(this, 'SignInDomain', {
      userPool: props.api.userPool,
      cognitoDomain: { domainPrefix: `${consoleDomainPrefix(stack.stackName)}-${stackIdPart}` },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });
    const cognitoDomain = this.domain.baseUrl();
    const regionalApis = `https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;

    const headers = (name: string, cacheControl: string) =>
      new cloudfront.ResponseHeadersPolicy(this, name, {
        comment: `Fleet console: security headers, Cache-Control ${cacheControl}`,
        securityHeadersBehavior: {
          contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy([cognitoDomain, regionalApis]), override: true },
          strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
          // After sign-in the authorization code is in the address until the console trades it: no referrer at all.
          referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        },
        customHeadersBehavior: {
          customHeaders: [
            { header: 'Cache-Control', value: cacheControl, override: true },
            { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', override: true },
            { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          ],
        },
      });

    const bucket = asInterface<s3.IBucket>(this.bucket);
    const origin = S3BucketOrigin.withOriginAccessControl(bucket);
    const behavior = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      compress: true,
    } satisfies Partial<cloudfront.BehaviorOptions>;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'LwM2M fleet operator console',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Standard logs need ACLs on the target bucket: the stack's access-log bucket allows them.
      enableLogging: true,
      logBucket: props.accessLogs,
      logFilePrefix: 'console-cdn/',
      defaultBehavior: { ...behavior, cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED, responseHeadersPolicy: headers('PageHeaders', PAGE_CACHE_CONTROL) },
      additionalBehaviors: {
        [HASHED_ASSETS_PATH]: {
          ...behavior,
          cachePolicy: new cloudfront.CachePolicy(this, 'HashedAssetsCache', {
            comment: 'Fleet console assets: content-hashed names, cached for a year',
            defaultTtl: Duration.days(365),
            minTtl: Duration.days(1),
            maxTtl: Duration.days(365),
            enableAcceptEncodingGzip: true,
            enableAcceptEncodingBrotli: true,
          }),
          responseHeadersPolicy: headers('AssetHeaders', HASHED_ASSETS_CACHE_CONTROL),
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Operators and installers work wherever the fleet is: the console is restricted by sign-in (Cognito, MFA), not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves static files only and runs no code; every API call goes to API Gateway, which checks tokens and throttles. A WAF web ACL (us-east-1, paid per request) is left to the deployer who wants one.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The console uses the default *.cloudfront.net certificate, for which CloudFront fixes the TLS policy; a minimum of TLS 1.2 needs a custom domain with an ACM certificate, which this stack does not assume.',
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}/`;
    this.origin = `https://${this.distribution.distributionDomainName}`;

    this.client = new cognito.UserPoolClient(this, 'Client', {
      userPool: props.api.userPool,
      userPoolClientName: 'fleet-console',
      // A browser cannot keep a secret: a public client, which Cognito lets use PKCE (S256) on the code grant.
      generateSecret: false,
      // The console signs in on the hosted UI; through the API, SRP only (as the API client): no plain-password or custom flow.
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [this.url],
        logoutUrls: [this.url],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      idTokenValidity: CONSOLE_TOKEN_VALIDITY,
      accessTokenValidity: CONSOLE_TOKEN_VALIDITY,
      // The shortest Cognito allows: the console signs in again rather than refreshing.
      refreshTokenValidity: Duration.hours(1),
      enableTokenRevocation: true,
    });
    props.api.allowBrowserApp({ client: this.client, origin: this.origin });

    const apiBase = props.api.api.apiEndpoint;
    this.config = { mode: 'cognito', apiBase, cognitoDomain, clientId: this.client.userPoolClientId, redirectUri: this.url };

    // The deployment's Lambda gets a role of ours that CDK's grants cannot widen (they would add
    // s3:GetObject*, s3:List*, s3:DeleteObject* on whole buckets): it reads exactly the asset
    // archives below and writes into the console bucket, nothing else.
    this.deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the fleet console build into its bucket at deploy',
    });
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    deployLogs.grantWrite(this.deployRole);
    const boundRole = this.deployRole.withoutPolicyUpdates();
    const html = withConnectPolicy(index, [cognitoDomain, apiBase]);
    const sources = [
      s3deploy.Source.asset(props.assets, { exclude: ['index.html', CONSOLE_CONFIG_FILE] }),
      s3deploy.Source.data('index.html', html),
      s3deploy.Source.jsonData(CONSOLE_CONFIG_FILE, this.config),
    ].map((source) => source.bind(this, { handlerRole: boundRole }));
    this.deployRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: sources.map((s) => asInterface<s3.IBucket>(s.bucket).arnForObjects(s.zipObjectKey)) }),
    );
    this.deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    const objects = this.bucket.arnForObjects('*');
    this.deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
    acknowledgeWildcardResources(this.deployRole, [objects], 'The deployment writes the console build, whose file names change with every build, anywhere in its own bucket.');

    this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: bucket,
      sources: sources.map((config) => ({ bind: () => config })),
      // Old hashed assets stay: a browser still running the previous index.html loads its chunks
      // during and after the deploy. They add up to a few hundred KB per release.
      prune: false,
      role: boundRole,
      logGroup: deployLogs,
      memoryLimit: 512,
    });
    const handler = stack.node.children.find((c): c is IConstruct => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason: "CDK's BucketDeployment fixes its handler's Python runtime; it moves to a newer one with aws-cdk-lib, not with this project.",
      });
    }
  }
}
