import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FleetStack } from './stacks/fleetStack.ts';

export const FLEET_STACK_NAME = 'LwM2MFleet';

/**
 * The CDK app: one FleetStack, checked by cdk-nag's AWS Solutions pack at synth (an
 * unacknowledged finding interrupts synth). Account and region come from the CDK CLI's
 * environment when set; otherwise the stack is environment-agnostic and synthesizes offline.
 */
export interface FleetAppProps extends AppProps {
  /** The operator console's build folder (FleetStackProps.consoleAssets); no console without it. */
  readonly consoleAssets?: string;
}

export const buildApp = ({ consoleAssets, ...props }: FleetAppProps = {}) => {
  const app = new App(props);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new FleetStack(app, FLEET_STACK_NAME, {
    description: 'LwM2M fleet backend: event store, bus, ingestion, object storage',
    ...(account && region ? { env: { account, region } } : {}),
    ...(consoleAssets === undefined ? {} : { consoleAssets }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
};
