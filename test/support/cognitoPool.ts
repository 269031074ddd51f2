import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { cognitoIssuer, cognitoProfile } from '../../functions/api/auth/tokenProfiles.ts';
import { createTokenVerifier, type TokenVerifier } from '../../functions/api/auth/tokenVerifier.ts';
import { systemClock } from '../../functions/shared/clock.ts';

export interface TestCognitoPool {
  /** The API's verifier with the Cognito profile, trusting this pool's key (kid `k1`). */
  readonly verifier: TokenVerifier;
  /** A Cognito access token of a user in these groups, valid for five minutes. */
  token(groups: readonly string[]): Promise<string>;
}

/**
 * A stand-in for a Cognito user pool: an RS256 key whose tokens carry what Cognito's access tokens
 * carry (`cognito:groups`, `client_id`, `token_use`, `username`), and the verifier the API Lambda
 * builds for the real pool, with the same profile.
 */
export const createTestCognitoPool = async (options: { region: string; userPoolId: string; clientId: string }): Promise<TestCognitoPool> => {
  const keys = await generateKeyPair('RS256');
  const verifier = createTokenVerifier({
    key: createLocalJWKSet({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256' }] }),
    profile: cognitoProfile({ region: options.region, userPoolId: options.userPoolId, clientIds: [options.clientId] }),
    clock: systemClock,
  });
  const token = (groups: readonly string[]) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ 'cognito:groups': [...groups], client_id: options.clientId, token_use: 'access', username: 'ada' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(cognitoIssuer(options.region, options.userPoolId))
      .setSubject('ada-sub')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(keys.privateKey);
  };
  return { verifier, token };
};
