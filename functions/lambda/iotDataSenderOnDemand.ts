import { iotDataEndpoint, type IotEndpointSender } from './iotDataEndpoint.ts';
import type { IotDataSender } from './iotDataPlanePublisher.ts';

/**
 * A data plane sender that finds the account's IoT data endpoint on its first publish (the stack
 * is synthesized without an account, so no variable can carry it) and keeps one client for it.
 * A failed look-up fails that publish, with IoT's answer; the next publish looks again.
 */
export const iotDataSenderOnDemand = (iot: IotEndpointSender, dataPlane: (host: string) => IotDataSender): IotDataSender => {
  const endpoint = iotDataEndpoint(iot);
  let client: IotDataSender | undefined;
  return {
    async send(command) {
      const host = await endpoint.resolve();
      client ??= dataPlane(host);
      return client.send(command);
    },
  };
};
