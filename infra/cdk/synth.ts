import { buildApp } from './app.ts';

// `npm run synth`: writes the cloud assembly to cdk.out/ (bundling the Lambdas with the local
// esbuild). Run by the cdk CLI (`--app "npx tsx infra/cdk/synth.ts"`), it writes where the CLI
// says (CDK_OUTDIR). Deploying: infra/cdk/README.md.
const { app } = buildApp({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
const assembly = app.synth();
for (const stack of assembly.stacks) console.log(`synthesized ${stack.stackName} → ${stack.templateFullPath}`);
