import { z } from 'zod';
import { ROLES } from '../api/auth/roles.ts';

/**
 * The wire shapes of the console's own routes (serveDashboard.ts, localSignIn.ts). The app reads
 * `dashboard-config.json` as its `DashboardConfig` (app/session.tsx); the embedded server only
 * ever answers the embedded form, the CDK app deploys the Cognito one as a file.
 */
export const DashboardConfigSchema = z
  .object({
    mode: z.literal('embedded'),
    apiBase: z.literal('').meta({ description: 'The API is on the same origin as the console.' }),
  })
  .meta({ description: 'How the console signs in and where the API is.' });
export type EmbeddedDashboardConfig = z.infer<typeof DashboardConfigSchema>;

/** The same characters a token subject may have (functions/api/auth/localIssuer.ts). */
const NAME = /^[\w.@:+-]{1,128}$/;

export const LocalTokenRequestSchema = z
  .strictObject({
    role: z.enum(ROLES).meta({ description: 'The role the token carries.' }),
    name: z
      .string()
      .regex(NAME, 'use 1-128 letters, digits and . _ @ : + - (no spaces)')
      .meta({ description: 'Who signs in: the token subject, recorded as the operator of every command sent with it.', examples: ['ada@example.com'] }),
  })
  .meta({ description: 'A role and a name for a console session on this machine.' });
export type LocalTokenRequest = z.infer<typeof LocalTokenRequestSchema>;

export const LocalTokenSchema = z
  .object({
    token: z.string().meta({ description: 'A bearer token of the local issuer.' }),
    expiresAt: z.iso.datetime().meta({ description: 'When the token stops working; sign in again after it.' }),
  })
  .meta({ description: 'A short-lived token for the console.' });
export type LocalToken = z.infer<typeof LocalTokenSchema>;
