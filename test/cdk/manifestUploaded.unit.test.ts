import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { provisioningInputFor, startProvisioningOnUpload, type StartProvisioning } from '../../functions/lambda/manifestUploaded.ts';
import { ProvisioningInput } from '../../functions/provisioning/batchInput.ts';

const ctx = {} as Context;
const recorder = (answer: 'started' | 'already-started' = 'started') => {
  const calls: { input: unknown; name: string }[] = [];
  const start: StartProvisioning = (input, name) => {
    calls.push({ input, name });
    return Promise.resolve(answer);
  };
  return { calls, start };
};

describe('starting provisioning for an uploaded manifest', () => {
  it('derives the input the embedded trigger builds, which the workflow accepts', () => {
    for (const format of ['csv', 'json', 'ndjson'] as const) {
      const input = provisioningInputFor(`manifests/b-0f3a_x-1.${format}`);
      expect(input).toEqual({ batchId: 'b-0f3a_x-1', manifestKey: `manifests/b-0f3a_x-1.${format}`, format });
      expect(ProvisioningInput.safeParse(input).success).toBe(true);
    }
  });

  it('starts nothing for keys the API does not write, and says how to name them', async () => {
    for (const key of ['manifests/lund.csv', 'manifests/b-a b.csv', 'manifests/b-1.csv.bak', 'other/b-1.csv', 'manifests/sub/b-1.csv']) {
      expect(provisioningInputFor(key)).toBeUndefined();
    }
    const { calls, start } = recorder();
    const warnings: string[] = [];
    const result = await startProvisioningOnUpload({ start, warn: (m) => warnings.push(m) })({ manifestKey: 'manifests/lund.csv' }, ctx);
    expect(result).toMatchObject({ started: false, reason: expect.stringContaining('manifests/b-<id>.<csv|json|ndjson>') as unknown });
    expect(calls).toEqual([]);
    expect(warnings).toHaveLength(1);
  });

  it('names the execution after the batch, and reports a redelivery as already started', async () => {
    const fresh = recorder('started');
    await expect(startProvisioningOnUpload({ start: fresh.start })({ manifestKey: 'manifests/b-7.json' }, ctx)).resolves.toEqual({ started: true, batchId: 'b-7' });
    expect(fresh.calls).toEqual([{ input: { batchId: 'b-7', manifestKey: 'manifests/b-7.json', format: 'json' }, name: 'b-7' }]);

    const again = recorder('already-started');
    const warnings: string[] = [];
    const result = await startProvisioningOnUpload({ start: again.start, warn: (m) => warnings.push(m) })({ manifestKey: 'manifests/b-7.json' }, ctx);
    expect(result).toMatchObject({ started: false, batchId: 'b-7' });
    expect(warnings[0]).toMatch(/b-7 has an execution already/);
  });

  it('refuses an event without a key, naming the field', async () => {
    const { start } = recorder();
    await expect(startProvisioningOnUpload({ start })({} as never, ctx)).rejects.toThrow(/manifestKey/);
  });
});
