/**
 * The three operator roles. The names are the contract: local tokens carry them in `roles`, and on
 * AWS the Cognito user pool has one group per role with exactly these names (`cognito:groups`).
 */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** What each role is for, in the words the README and the OpenAPI document use. */
export const ROLE_PURPOSE: Readonly<Record<Role, string>> = {
  admin: 'provisions and deprovisions devices, and everything an operator may do',
  operator: 'sends device commands, acknowledges alarms, and reads everything',
  viewer: 'reads devices, batches, commands, alarms and audit trails; changes nothing',
};

/** A role named on a command line or in a config file; the error lists the roles there are. */
export const parseRole = (text: string): Role => {
  const role = text.trim().toLowerCase();
  if (isRole(role)) return role;
  throw new TypeError(`"${text}" is not a role: use one of ${ROLES.join(', ')}.`);
};
