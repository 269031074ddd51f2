import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardDist } from '../../functions/dashboard/vite.config.ts';
import { buildApp } from './app.ts';

// `npm run synth`: writes the cloud assembly to cdk.out/ (bundling the Lambdas with the local
// esbuild). Run by the cdk CLI (`--app "npx tsx infra/cdk/synth.ts"`), it writes where the CLI
// says (CDK_OUTDIR). Deploying: infra/cdk/README.md.

// The operator console deploys from its build, which git ignores: a clean clone builds it here
// first, so `npm run synth` needs no other step. An existing build is used as it is.
if (!existsSync(join(dashboardDist, 'index.html'))) {
  console.log(`building the operator console into ${dashboardDist} (it has no index.html yet)`);
  const { build } = await import('vite');
  try {
    await build({ configFile: fileURLToPath(new URL('../../functions/dashboard/vite.config.ts', import.meta.url)), logLevel: 'warn' });
  } catch (error) {
    throw new Error(
      `Building the operator console failed (${error instanceof Error ? error.message : String(error)}). Run \`npm run build:web\` to see the whole error, fix it, then synthesize again.`,
      { cause: error },
    );
  }
}

const { app } = buildApp({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out', consoleAssets: dashboardDist });
const assembly = app.synth();
for (const stack of assembly.stacks) console.log(`synthesized ${stack.stackName} → ${stack.templateFullPath}`);
