import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MQTT_BROKER, type ResourceValue } from '../../schemas/lwm2m/index.ts';

/**
 * What a real device keeps in flash across a power cycle, for the demo's simulated devices: the
 * MQTT credentials the bootstrap wrote to object 18830. The simulator keeps nothing across a
 * process restart (functions/simulator/README.md), and the backend gives a device its
 * credentials once (a second bootstrap is refused as `already-bootstrapped`), so without this a
 * restarted demo would have a fleet that can never connect again.
 *
 * One JSON file per device under `<data dir>/demo/devices/`, mode 0600 in a 0700 folder: it holds
 * the device's private key in the clear, as the device's own flash would. It is written (to a
 * temporary name, then renamed) the moment the device holds its credentials, before the bridge
 * has reported the bootstrap, so a process killed at any point after the backend records
 * `DeviceBootstrapped` finds it.
 */

const VALUE_TYPES = ['String', 'Integer', 'Unsigned Integer', 'Time', 'Float', 'Boolean', 'Opaque'] as const;

const StoredValue = z.object({
  path: z.string().regex(new RegExp(`^/${MQTT_BROKER.id}/0/\\d{1,5}$`), `a resource of /${MQTT_BROKER.id}/0`),
  type: z.enum(VALUE_TYPES),
  value: z.union([z.string(), z.number(), z.boolean()]),
});

const FlashFile = z.object({
  version: z.literal(1),
  thingName: z.string().min(1),
  savedAt: z.string(),
  resources: z.array(StoredValue).min(1),
});
type StoredValue = z.infer<typeof StoredValue>;

const toStored = (v: ResourceValue): StoredValue | undefined => {
  switch (v.type) {
    case 'Opaque':
      return { path: v.path, type: v.type, value: Buffer.from(v.value).toString('base64') };
    case 'String':
    case 'Boolean':
    case 'Float':
      return { path: v.path, type: v.type, value: v.value };
    case 'Integer':
    case 'Unsigned Integer':
    case 'Time':
      // Object 18830 has no 64-bit values; one that does not fit a double is not worth keeping.
      return typeof v.value === 'number' ? { path: v.path, type: v.type, value: v.value } : undefined;
    default:
      return undefined;
  }
};

const fromStored = (v: StoredValue): ResourceValue | string => {
  switch (v.type) {
    case 'Opaque':
      return typeof v.value === 'string' ? { path: v.path, type: 'Opaque', value: new Uint8Array(Buffer.from(v.value, 'base64')) } : `${v.path} should be base64 text`;
    case 'String':
      return typeof v.value === 'string' ? { path: v.path, type: 'String', value: v.value } : `${v.path} should be text`;
    case 'Boolean':
      return typeof v.value === 'boolean' ? { path: v.path, type: 'Boolean', value: v.value } : `${v.path} should be true or false`;
    case 'Float':
      return typeof v.value === 'number' ? { path: v.path, type: 'Float', value: v.value } : `${v.path} should be a number`;
    default:
      return typeof v.value === 'number' && Number.isSafeInteger(v.value) ? { path: v.path, type: v.type, value: v.value } : `${v.path} should be a whole number`;
  }
};

export interface DeviceFlash {
  /** Where the files are. */
  readonly dir: string;
  /** The saved 18830 instance 0 of a device, or undefined when none was saved (or the file is unusable: `onProblem` says why). */
  load(thingName: string): ResourceValue[] | undefined;
  /** Saves what the device holds at /18830/0 now. */
  save(thingName: string, values: readonly ResourceValue[]): void;
}

const fileName = (thingName: string): string => `${encodeURIComponent(thingName)}.json`;

export const openDeviceFlash = (dataDir: string, onProblem: (message: string) => void): DeviceFlash => {
  const dir = join(dataDir, 'demo', 'devices');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return {
    dir,
    load(thingName) {
      const file = join(dir, fileName(thingName));
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        onProblem(`cannot read ${file} (${(error as Error).message}); ${thingName} starts without its saved credentials`);
        return undefined;
      }
      let parsed;
      try {
        parsed = FlashFile.safeParse(JSON.parse(text));
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || !parsed.success || parsed.data.thingName !== thingName) {
        const why = parsed === undefined ? 'not JSON' : !parsed.success ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : `it is ${parsed.data.thingName}'s`;
        onProblem(`${file} is not a saved 18830 instance of ${thingName} (${why}); the device starts without it. Delete the file, or the data dir to start the demo over`);
        return undefined;
      }
      const values: ResourceValue[] = [];
      for (const stored of parsed.data.resources) {
        const value = fromStored(stored);
        if (typeof value === 'string') {
          onProblem(`${file}: ${value}; the device starts without its saved credentials`);
          return undefined;
        }
        values.push(value);
      }
      return values;
    },
    save(thingName, values) {
      const resources = values.flatMap((v) => {
        const stored = toStored(v);
        return stored === undefined ? [] : [stored];
      });
      const file = join(dir, fileName(thingName));
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify({ version: 1, thingName, savedAt: new Date().toISOString(), resources })}\n`, { mode: 0o600 });
      renameSync(temporary, file);
    },
  };
};
