import { z } from 'zod';
import {
  BridgeIdentitiesFailed,
  countBridgeIdentities,
  describeBridgeIdentities,
  ensureBridgeIdentities,
  type BridgeIdentityResult,
} from '../bridge/bridgeIdentities.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import type { ArnContext } from '../registry/devicePolicy.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { awsArnContext, awsCredentials, awsDeviceRegistry } from './awsAdapters.ts';
import { CustomResourceFailure, customResourceHandler, type CustomResource, type CustomResourceHandlerOptions } from './customResourceResponse.ts';
import { logger, observed } from './observability.ts';

// Composition root of the BridgeIdentities custom resource (the Fargate bridge pool's identities,
// functions/bridge/bridgeIdentities.ts). CloudFormation invokes it on Create, Update and Delete of
// the resource and waits for the answer PUT to the request's ResponseURL.

/** The same for every answer: a different one on Update would make CloudFormation "replace" the resource. */
export const BRIDGE_IDENTITIES_RESOURCE_ID = 'bridge-identities';

/** ResourceProperties: what the template sets (CloudFormation adds ServiceToken, which is ignored). */
const BridgeIdentitiesProperties = z.object({ BridgeIds: z.array(z.string()) });

export interface BridgeIdentitiesDeps {
  readonly registry: DeviceRegistry;
  readonly credentials: ObjectStore;
  readonly arn: ArnContext;
}

const logged = (result: BridgeIdentityResult) => logger.info('bridge identity', { ...result });

export const bridgeIdentitiesResource = (deps: () => BridgeIdentitiesDeps): CustomResource => ({
  physicalResourceId: BRIDGE_IDENTITIES_RESOURCE_ID,
  async apply(request, signal) {
    const properties = BridgeIdentitiesProperties.safeParse(request.ResourceProperties ?? {});
    if (!properties.success) {
      throw new Error('ResourceProperties.BridgeIds must be a list of bridge ids (strings like "aws-1"): set it in the template (bridgeIdPool in infra/cdk/constructs/bridgeService.ts).');
    }
    try {
      const results = await ensureBridgeIdentities({ ...deps(), bridgeIds: properties.data.BridgeIds, signal, onResult: logged });
      return { reason: `Bridge identities: ${describeBridgeIdentities(results)}.`, data: countBridgeIdentities(results) };
    } catch (error) {
      if (error instanceof BridgeIdentitiesFailed) throw new CustomResourceFailure(error.message, countBridgeIdentities(error.done));
      throw error;
    }
  },
  // Identities outlive the stack, like the IoT policies: deleting certificates that running bridges
  // (or a stack being replaced) still use would cut them off, and a key once deleted is gone.
  remove: () =>
    Promise.resolve({
      reason: 'Nothing deleted: bridge things, policies, certificates and stored identities are retained. Revoke and delete them by hand when the fleet is gone.',
      data: { Retained: 1 },
    }),
});

/**
 * A configuration problem must reach CloudFormation as a FAILED answer, not as a failed cold start
 * (which nobody answers, leaving the stack waiting for the ServiceTimeout): the adapters are built
 * once per container, and a missing variable is kept and reported by each request.
 */
const settle = <T>(build: () => T): (() => T) => {
  let built: { value: T } | { error: unknown };
  try {
    built = { value: build() };
  } catch (error) {
    built = { error };
  }
  return () => {
    if ('error' in built) throw built.error;
    return built.value;
  };
};

export const bridgeIdentitiesHandler = (deps: () => BridgeIdentitiesDeps, options: CustomResourceHandlerOptions = {}) =>
  customResourceHandler(bridgeIdentitiesResource(deps), {
    onAnswer: (response) => logger.info('answering CloudFormation', { status: response.Status, reason: response.Reason, data: response.Data }),
    onFailure: (error) => logger.error('bridge identities failed', error instanceof Error ? error : String(error)),
    ...options,
  });

const awsDeps = settle(() => ({ registry: awsDeviceRegistry(), credentials: awsCredentials(), arn: awsArnContext() }));

export const handler = observed(bridgeIdentitiesHandler(awsDeps));
