import type { DeviceRecord } from './deviceTypes.ts';
import { When } from '../../components/When.tsx';

const STATUS_TEXT: Readonly<Record<DeviceRecord['status'], string>> = {
  provisioned: 'Provisioned (not bootstrapped yet)',
  bootstrapped: 'Bootstrapped',
  deprovisioned: 'Deprovisioned',
};

/** What the directory knows of the device: who owns it, where it is, and whether it is connected now. */
export const DeviceFacts = ({ device }: { device: DeviceRecord }) => {
  const attributes = Object.entries(device.attributes).sort(([a], [b]) => a.localeCompare(b));
  const { latitude, longitude } = device.location;
  return (
    <section aria-labelledby="facts-title" className="device-facts panel">
      <h2 id="facts-title">Directory</h2>
      <dl className="facts">
        <dt>Tenant</dt>
        <dd>{device.tenant}</dd>
        <dt>Group</dt>
        <dd>{device.thingGroup ?? 'none'}</dd>
        <dt>Type</dt>
        <dd>{device.deviceType ?? 'not given'}</dd>
        <dt>Status</dt>
        <dd data-testid="device-status">
          {STATUS_TEXT[device.status]}
          {device.status === 'deprovisioned' && device.deprovisionedAt ? (
            <>
              {' '}
              since <When iso={device.deprovisionedAt} />
            </>
          ) : null}
        </dd>
        <dt>Connection</dt>
        <dd>
          {device.registration ? (
            <>
              Registered with bridge <code>{device.registration.bridgeId}</code> as <code>{device.registration.endpoint}</code>
              {device.registration.queueMode ? ' (queue mode: asleep between wake-ups)' : ''} since <When iso={device.registration.since} />
            </>
          ) : (
            'Not registered with any bridge now: commands will be ignored until it registers.'
          )}
        </dd>
        <dt>Location</dt>
        <dd>
          {latitude.toFixed(5)}, {longitude.toFixed(5)}
        </dd>
        <dt>Provisioned</dt>
        <dd>
          <When iso={device.provisionedAt} />
        </dd>
        {device.bootstrappedAt ? (
          <>
            <dt>Bootstrapped</dt>
            <dd>
              <When iso={device.bootstrappedAt} />
            </dd>
          </>
        ) : null}
        <dt>Attributes</dt>
        <dd>
          {attributes.length === 0 ? (
            'none'
          ) : (
            <ul className="attributes">
              {attributes.map(([k, v]) => (
                <li key={k}>
                  <code>{k}</code> = {v}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </section>
  );
};
