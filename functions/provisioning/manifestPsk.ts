import { timingSafeEqual } from 'node:crypto';
import { InvalidPskRequest, issueDevicePsk, PskIdentityTaken, readDevicePsk, StoredPskUnreadable, type IssuedDevicePsk } from '../dtls/devicePsk.ts';
import type { EventStore } from '../eventStore/eventStore.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import type { RowProblem } from '../../schemas/manifest/index.ts';
import { readDeviceRecord } from './deviceRecord.ts';

export interface ManifestPskDeps {
  readonly eventStore: EventStore;
  /** The encrypted credentials area. */
  readonly credentials: ObjectStore;
}

/** A manifest row's PSK columns (the parser has checked their format and uniqueness in the file). */
export interface ManifestPsk {
  readonly serial: string;
  readonly pskIdentity: string;
  /** Hex. A secret: it goes to the credentials store and nowhere else. */
  readonly pskKey: string;
}

export type ManifestPskResult = { readonly ok: true; readonly outcome: IssuedDevicePsk['outcome'] } | { readonly ok: false; readonly problem: RowProblem };

const sameKey = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Stores a row's `pskIdentity`/`pskKey` for its device (issueDevicePsk: encrypted, indexed by
 * identity), at validation, the only moment provisioning reads the manifest, so the key never
 * travels in chunk files, workflow state or events. The same PSK again is `unchanged`.
 *
 * A device of the fleet whose stored PSK differs keeps it and the row is refused: the device holds
 * the key it was flashed with, so a server-side change by re-upload would lock it out (a typo in a
 * re-uploaded file would do the same to a whole fleet). Keys change by deprovisioning first
 * (functions/dtls/README.md). A device not in the fleet (never provisioned, its provisioning
 * failed, or deprovisioned) has never been reached with the stored key: the row's replaces it.
 *
 * Refusals are row problems naming the field; no message quotes the key.
 */
export const storeManifestPsk = async (deps: ManifestPskDeps, row: ManifestPsk): Promise<ManifestPskResult> => {
  const { serial, pskIdentity, pskKey } = row;
  try {
    const current = await readDevicePsk(deps.credentials, serial);
    if (current !== undefined && (current.identity !== pskIdentity || !sameKey(current.key, Buffer.from(pskKey, 'hex')))) {
      const status = (await readDeviceRecord(deps.eventStore, serial)).row?.status;
      if (status === 'provisioned' || status === 'bootstrapped') {
        const what = current.identity === pskIdentity ? 'pskKey' : 'pskIdentity';
        return {
          ok: false,
          problem: {
            field: what,
            message: `${serial} already has a DTLS PSK${what === 'pskIdentity' ? ` under identity ${JSON.stringify(current.identity)}` : ''}, and this row's ${what} differs from it; a re-upload does not rotate PSKs, so nothing of this row was applied.`,
            hint: `Put the ${what} the device holds back in this row (or leave pskIdentity and pskKey empty to keep the stored PSK). To give the device a new PSK, deprovision it, then upload the row again.`,
          },
        };
      }
    }
    const issued = await issueDevicePsk({ credentials: deps.credentials, thingName: serial, identity: pskIdentity, key: pskKey });
    return { ok: true, outcome: issued.outcome };
  } catch (error) {
    if (error instanceof PskIdentityTaken) {
      return {
        ok: false,
        problem: {
          field: 'pskIdentity',
          message: `pskIdentity ${JSON.stringify(pskIdentity)} already belongs to ${error.holder}.`,
          hint: `A DTLS server tells devices apart by PSK identity: give this device its own, or deprovision ${error.holder} first.`,
        },
      };
    }
    if (error instanceof InvalidPskRequest) {
      // The parser checks the same rules; reaching this means they drifted apart. The message never quotes the key.
      return { ok: false, problem: { field: 'pskKey', message: error.message, hint: 'Fix pskIdentity or pskKey as the message says, then upload the row again.' } };
    }
    if (error instanceof StoredPskUnreadable) {
      return {
        ok: false,
        problem: {
          field: 'pskKey',
          message: `the PSK stored for ${serial} cannot be read, so this row's PSK was not stored.`,
          hint: 'Deprovision the device (which deletes its stored PSK), then upload the row again.',
        },
      };
    }
    throw error;
  }
};
