/**
 * Variables the bridge-traffic and bootstrap Lambdas read beside LAMBDA_ENV (env.ts). The CDK app
 * sets them from these constants.
 */
export const BOOTSTRAP_LAMBDA_ENV = {
  /** The bootstrap state machine the bridge-message handler starts executions of. */
  bootstrapStateMachineArn: 'BOOTSTRAP_STATE_MACHINE_ARN',
  /** Deliver credentials to devices that registered over plain CoAP (ADR 0010); unset means false. */
  overPlainCoap: 'FLEET_BOOTSTRAP_OVER_PLAIN_COAP',
} as const;

/** FLEET_BOOTSTRAP_OVER_PLAIN_COAP as the embedded system reads it: `true` or `false`, false when unset. */
export const allowPlainCoapFrom = (env: NodeJS.ProcessEnv = process.env): boolean => {
  const value = env[BOOTSTRAP_LAMBDA_ENV.overPlainCoap];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`${BOOTSTRAP_LAMBDA_ENV.overPlainCoap} is ${JSON.stringify(value)}: set it to true or false (false unless devices reach the bridge over plain CoAP on a trusted network).`);
};
