import { describe, expect, it } from 'vitest';
import { DEFAULT_OBJECT_MODEL } from '../../../schemas/lwm2m/objects/model.ts';
import { OBJECT_MODEL, lookupOf } from '../../../functions/dashboard/app/pages/device/objectModel.ts';

describe("the console's object model", () => {
  it('holds exactly the definitions the server checks commands against (DEFAULT_OBJECT_MODEL)', () => {
    expect(OBJECT_MODEL.objects.map((o) => o.id).sort((a, b) => a - b)).toEqual(DEFAULT_OBJECT_MODEL.objects.map((o) => o.id).sort((a, b) => a - b));
    for (const object of DEFAULT_OBJECT_MODEL.objects) {
      expect(OBJECT_MODEL.object(object.id), `object ${object.id}`).toBe(object);
      for (const resource of object.resources) expect(OBJECT_MODEL.resource(object.id, resource.id)).toBe(DEFAULT_OBJECT_MODEL.resource(object.id, resource.id));
    }
  });

  it('answers undefined for objects and resources it does not define', () => {
    expect(OBJECT_MODEL.object(9999)).toBeUndefined();
    expect(OBJECT_MODEL.resource(3, 9999)).toBeUndefined();
    expect(OBJECT_MODEL.resource(9999, 0)).toBeUndefined();
    expect(lookupOf([]).object(3)).toBeUndefined();
  });
});
