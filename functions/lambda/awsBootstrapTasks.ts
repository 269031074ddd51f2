import { BridgePublishFailed } from '../bootstrap/bootstrapPublisher.ts';
import { bootstrapTasks, type BootstrapDeps, type BootstrapFunctionName } from '../bootstrap/bootstrapTasks.ts';
import { systemClock } from '../shared/clock.ts';
import { amazonRootCa1Pem } from './amazonTrustAnchor.ts';
import { brokerUriOf, iotDataEndpoint, type IotEndpointSender } from './iotDataEndpoint.ts';
import { iotDataPlaneBridgePublisher, type IotDataSender } from './iotDataPlanePublisher.ts';

export interface AwsBootstrapOptions extends Pick<BootstrapDeps, 'eventStore' | 'registry' | 'credentials' | 'allowPlainCoap'> {
  /** Looks up the account's IoT data endpoint (iot:DescribeEndpoint). */
  readonly iot: IotEndpointSender;
  /** The data plane client for that endpoint (createIotDataPlaneClient), built once it is known. */
  readonly dataPlane: (host: string) => IotDataSender;
  readonly clock?: BootstrapDeps['clock'];
  /** Amazon Root CA 1 unless given. */
  readonly trustAnchorPem?: string;
}

export type AwsBootstrapTasks = Record<BootstrapFunctionName, (input: unknown) => Promise<unknown>>;

/**
 * The bootstrap tasks on AWS: the same task code as embedded, with the delivery published through
 * the IoT data plane of this account's endpoint, and devices told to connect to that endpoint on
 * 8883 trusting Amazon Root CA 1. DeliverCredentials looks the endpoint up before it starts; a
 * failed look-up is a BridgePublishFailed, which the definition retries like a refused publish.
 */
export const awsBootstrapTasks = (o: AwsBootstrapOptions): AwsBootstrapTasks => {
  const endpoint = iotDataEndpoint(o.iot);
  let client: IotDataSender | undefined;
  // Only reached after the deliver wrapper below resolved the endpoint.
  const dataPlane: IotDataSender = { send: (command) => (client ??= o.dataPlane(endpoint.current())).send(command) };
  const tasks = bootstrapTasks({
    eventStore: o.eventStore,
    registry: o.registry,
    credentials: o.credentials,
    allowPlainCoap: o.allowPlainCoap,
    publish: iotDataPlaneBridgePublisher(dataPlane),
    brokerUri: () => brokerUriOf(endpoint.current()),
    trustAnchorPem: o.trustAnchorPem ?? amazonRootCa1Pem(),
    clock: o.clock ?? systemClock,
  });
  return {
    ...tasks,
    async deliverBootstrapCredentials(input) {
      try {
        await endpoint.resolve();
      } catch (error) {
        throw new BridgePublishFailed(`the account's IoT data endpoint could not be looked up (${(error as Error).name}: ${(error as Error).message}): the role needs iot:DescribeEndpoint`);
      }
      return tasks.deliverBootstrapCredentials(input);
    },
  };
};
