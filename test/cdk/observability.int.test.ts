import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, OBSERVABILITY_ENV } from '../../functions/lambda/observabilityEnv.ts';
import { HANDLERS } from '../../infra/cdk/handlers.ts';
import { allowedActions, synthesizeFleet, type SynthesizedFleet } from './synthesizedFleet.ts';

// Every Lambda of the synthesized stack carries what Powertools needs (functions/lambda/
// observability.ts), and EMF needs no IAM: metrics travel in the log stream.
let fleet: SynthesizedFleet;
beforeAll(() => {
  fleet = synthesizeFleet();
});
afterAll(() => fleet.remove());

const environmentOf = (properties: Record<string, unknown> | undefined) =>
  ((properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});

describe('Powertools settings of the Lambda functions', () => {
  it('gives every function the fleet namespace, a log level and, as service, the registry name of its handler', () => {
    const functions = fleet.ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(Object.keys(HANDLERS).length);
    for (const [id, fn] of functions) {
      const env = environmentOf(fn.Properties);
      const service = env[OBSERVABILITY_ENV.serviceName];
      expect({ id, namespace: env[OBSERVABILITY_ENV.metricsNamespace], level: env[OBSERVABILITY_ENV.logLevel] }).toEqual({ id, namespace: METRICS_NAMESPACE, level: 'INFO' });
      expect(Object.keys(HANDLERS), id).toContain(service);
      // The service names the handler whose code the function runs: its description comes from that registry entry.
      expect(String(fn.Properties!.Description), id).toContain(HANDLERS[service as keyof typeof HANDLERS].description);
    }
  });

  it('names each handler of the registry as the service of at least one function', () => {
    const services = new Set(fleet.ofType('AWS::Lambda::Function').map(([, fn]) => environmentOf(fn.Properties)[OBSERVABILITY_ENV.serviceName]));
    expect([...services].sort()).toEqual(Object.keys(HANDLERS).sort());
  });

  it('grants no cloudwatch:PutMetricData: metrics are EMF lines in the function’s own log group', () => {
    const actions = fleet.ofType('AWS::IAM::Policy').flatMap(([, p]) => allowedActions([].concat((p.Properties!.PolicyDocument as { Statement: never }).Statement)));
    expect(actions.filter((a) => /^cloudwatch:/i.test(a))).toEqual([]);
  });
});
