import { describe, expect, it } from 'vitest';
import { checkOperation, checkValue } from '../../../schemas/lwm2m/checks.ts';
import { DEFAULT_OBJECT_MODEL } from '../../../schemas/lwm2m/objects/model.ts';
import type { ResourceDefinition } from '../../../schemas/lwm2m/objects/types.ts';
import { operationProblem, valueProblem, type RuleOperation } from '../../../functions/dashboard/app/pages/device/modelRules.ts';
import { OBJECT_MODEL } from '../../../functions/dashboard/app/pages/device/objectModel.ts';

/**
 * The browser restates schemas/lwm2m/checks.ts (which needs Node's Buffer); these compare the two
 * verdict by verdict over every shipped object, resource and operation, and a spread of values.
 */

const OPERATIONS: readonly RuleOperation[] = ['read', 'observe', 'write', 'execute'];

const serverCode = (path: string, operation: RuleOperation) => {
  const checked = checkOperation(path, operation, DEFAULT_OBJECT_MODEL);
  return checked.ok ? undefined : checked.problem.code;
};

/** Every depth the console can build: object, instance, each resource, a resource instance of each. */
const paths = (): number[][] => {
  const out: number[][] = [[9999, 0], [9999, 0, 1], [3, 0, 9999]];
  for (const object of OBJECT_MODEL.objects) {
    out.push([object.id], [object.id, 0]);
    for (const r of object.resources) out.push([object.id, 0, r.id], [object.id, 0, r.id, 1]);
  }
  return out;
};

const samples = (r: ResourceDefinition): unknown[] => {
  const numbers = [0, 1, -1, 7, 21.5, 100, 101, 65535, 65536, 2 ** 40, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 70n, -(2n ** 70n)];
  const range = r.range ? [r.range.min, r.range.max, r.range.min - 1, r.range.max + 1] : [];
  // Multi-byte text: checks.ts counts UTF-8 bytes, and so must the browser.
  const texts = ['', 'U', 'UQ', 'åäö', 'x'.repeat(255), 'x'.repeat(256), '€'.repeat(100)];
  return [...numbers, ...range, ...texts, true, false, null, undefined, new Uint8Array(0), new Uint8Array(16), { objectId: 3, instanceId: 0 }, { objectId: 65536, instanceId: 0 }, [1]];
};

describe('modelRules: the object-model checks of the command form', () => {
  it('refuses exactly the operations and paths checks.ts refuses, with the same problem code', () => {
    let compared = 0;
    for (const ids of paths()) {
      for (const operation of OPERATIONS) {
        const path = `/${ids.join('/')}`;
        const expected = serverCode(path, operation);
        expect(operationProblem(ids, operation, OBJECT_MODEL)?.code, `${operation} ${path}`).toBe(expected);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('refuses exactly the values checks.ts refuses for each single-instance resource, with the same problem code', () => {
    let compared = 0;
    for (const object of OBJECT_MODEL.objects) {
      for (const r of object.resources) {
        const path = r.multiple ? `/${object.id}/0/${r.id}/0` : `/${object.id}/0/${r.id}`;
        for (const value of samples(r)) {
          const server = checkValue(path, value, DEFAULT_OBJECT_MODEL);
          expect(valueProblem(object, r, value)?.code, `${path} ← ${String(value)}`).toBe(server.ok ? undefined : server.problem.code);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('says which resource and which rule in its messages', () => {
    expect(operationProblem([3, 0, 0], 'write', OBJECT_MODEL)?.message).toBe('Device / Manufacturer (3/0) is read-only');
    expect(operationProblem([3, 0, 4], 'read', OBJECT_MODEL)?.message).toContain('is an Execute resource');
    const battery = OBJECT_MODEL.resource(3, 9)!;
    expect(valueProblem(OBJECT_MODEL.object(3)!, battery, 101)?.message).toBe('Device / Battery Level (3/9): 101 is outside 0..100');
  });
});
