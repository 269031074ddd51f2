import type { SqliteDatabase } from '../eventStore/sqliteDatabase.ts';

/**
 * The embedded registry's tables, mirroring what AWS IoT keeps: things (attributes as a JSON object
 * sorted by name), certificates (PEM and status, never a private key), policies (the default
 * version's document only: nothing here rolls back to an older version), thing groups, and the three
 * attachments. A certificate belongs to at most one thing (AWS's EXCLUSIVE_THING), so it is the key
 * of registry_principals. Deleting a thing takes its group memberships with it, as AWS's DeleteThing
 * does; every other delete is refused in code while something is attached, with a message saying what.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS registry_things (
  thing_name TEXT PRIMARY KEY,
  thing_type TEXT,
  attributes TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_certificates (
  certificate_id TEXT PRIMARY KEY,
  certificate_arn TEXT NOT NULL,
  common_name TEXT NOT NULL,
  serial_number TEXT NOT NULL,
  certificate_pem TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE', 'REVOKED')),
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  created_at TEXT NOT NULL,
  status_changed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_certificates_by_status ON registry_certificates (status);
CREATE TABLE IF NOT EXISTS registry_policies (
  policy_name TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_policy_attachments (
  certificate_id TEXT NOT NULL REFERENCES registry_certificates (certificate_id),
  policy_name TEXT NOT NULL REFERENCES registry_policies (policy_name),
  attached_at TEXT NOT NULL,
  PRIMARY KEY (certificate_id, policy_name)
);
CREATE TABLE IF NOT EXISTS registry_groups (
  group_name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_thing_groups (
  thing_name TEXT NOT NULL REFERENCES registry_things (thing_name) ON DELETE CASCADE,
  group_name TEXT NOT NULL REFERENCES registry_groups (group_name),
  added_at TEXT NOT NULL,
  PRIMARY KEY (thing_name, group_name)
);
CREATE INDEX IF NOT EXISTS registry_thing_groups_by_group ON registry_thing_groups (group_name);
CREATE TABLE IF NOT EXISTS registry_principals (
  certificate_id TEXT PRIMARY KEY REFERENCES registry_certificates (certificate_id),
  thing_name TEXT NOT NULL REFERENCES registry_things (thing_name),
  attached_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_principals_by_thing ON registry_principals (thing_name);
`;

/** Creates the tables when missing; safe to run at every start and beside other adapters' tables. */
export const createRegistrySchema = (db: SqliteDatabase): void => {
  db.exec(DDL);
};
