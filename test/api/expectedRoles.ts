import type { Role } from '../../functions/api/auth/roles.ts';

/**
 * The rules, written out independently of functions/api/auth/permissions.ts, so the tests
 * check the table rather than repeat it: admin everything, operator commands, alarm
 * acknowledgement and reading, viewer reading only; /health and /openapi.json public.
 */
const ALL: readonly Role[] = ['admin', 'operator', 'viewer'];

export const EXPECTED_ACCESS: Readonly<Record<string, readonly Role[] | 'public'>> = {
  'GET /health': 'public',
  'GET /openapi.json': 'public',
  'GET /': 'public',
  'GET /assets/*': 'public',
  'GET /dashboard-config.json': 'public',
  'POST /auth/local-token': 'public',
  'GET /devices': ALL,
  'GET /devices/*': ALL,
  'POST /provisioning/manifests': ['admin'],
  'GET /provisioning/batches': ALL,
  'GET /provisioning/batches/:batchId': ALL,
  'GET /provisioning/batches/:batchId/report': ALL,
  'DELETE /devices/:thingName': ['admin'],
  'GET /deprovisioning/:executionName': ALL,
  'POST /projections/:name/rebuild': ['admin'],
  'GET /devices/:thingName/state': ALL,
  'GET /devices/:thingName/history': ALL,
  'GET /devices/:thingName/alarms': ALL,
  'POST /commands': ['admin', 'operator'],
  'GET /commands': ALL,
  'GET /commands/:commandId': ALL,
  'POST /devices/:thingName/alarms/:alarmId/ack': ['admin', 'operator'],
  'GET /audit/commands': ALL,
  'GET /rejections': ALL,
};
