import { DescribeEndpointCommand, type DescribeEndpointCommandOutput } from '@aws-sdk/client-iot';

/** The one call this makes; an IoTClient satisfies it. */
export interface IotEndpointSender {
  send(command: DescribeEndpointCommand): Promise<DescribeEndpointCommandOutput>;
}

export interface IotDataEndpoint {
  /** The account's ATS data endpoint host, looked up once per container (again after a failed look-up). */
  resolve(): Promise<string>;
  /** The host once resolve() has succeeded; before that, an error that says so. */
  current(): string;
}

/** MQTT over TLS with X.509 client certificates: AWS IoT Core's port 8883. */
export const brokerUriOf = (host: string): string => `mqtts://${host}:8883`;

/**
 * The account-specific IoT data endpoint (`<prefix>-ats.iot.<region>.amazonaws.com`). Devices must
 * be given this one: with a client certificate, IoT Core tells accounts apart by the host name, and
 * AWS recommends it over the SDK's regional default for the data plane too. It is not known at
 * synth (the stack synthesizes without an account), so the Lambda asks IoT once, when first needed,
 * rather than at cold start, where a failure would break every task of the bundle.
 */
export const iotDataEndpoint = (iot: IotEndpointSender): IotDataEndpoint => {
  let host: string | undefined;
  let pending: Promise<string> | undefined;
  const lookUp = async (): Promise<string> => {
    const out = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    const address = out.endpointAddress;
    if (!address || !/^[a-z0-9.-]+$/i.test(address)) {
      throw new Error(`IoT DescribeEndpoint (iot:Data-ATS) returned ${JSON.stringify(address)}, which is not a host name: check the region the Lambda runs in`);
    }
    host = address;
    return address;
  };
  return {
    resolve() {
      if (host !== undefined) return Promise.resolve(host);
      pending ??= lookUp().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    current() {
      if (host === undefined) throw new Error('the IoT data endpoint is not known yet: call resolve() before using it');
      return host;
    },
  };
};
