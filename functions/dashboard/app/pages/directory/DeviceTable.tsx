import { href } from '../../router.ts';
import { formatLatitude, formatLongitude } from './mapProjection.ts';

export interface DirectoryDevice {
  readonly thingName: string;
  readonly tenant: string;
  readonly location: { readonly latitude: number; readonly longitude: number };
  readonly attributes: Readonly<Record<string, string>>;
  readonly thingGroup?: string;
  readonly deviceType?: string;
  readonly status: string;
  readonly registration?: { readonly bridgeId: string; readonly since: string };
  readonly distanceMeters?: number;
}

const distance = (meters: number): string => (meters < 1000 ? `${Math.round(meters)} m` : `${(meters / 1000).toFixed(meters < 10_000 ? 2 : 1)} km`);

/** One line per device of the page; the thing name opens the device page. */
export const DeviceTable = ({ devices, caption }: { devices: readonly DirectoryDevice[]; caption: string }) => {
  const withDistance = devices.some((d) => d.distanceMeters !== undefined);
  return (
    <div className="table-wrap">
      <table className="device-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Thing name</th>
            <th scope="col">Tenant</th>
            <th scope="col">Group</th>
            <th scope="col">Type</th>
            <th scope="col">Location</th>
            {withDistance ? <th scope="col">Distance</th> : null}
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.thingName}>
              <th scope="row">
                <a href={href(`/devices/${encodeURIComponent(d.thingName)}`)}>{d.thingName}</a>
              </th>
              <td>{d.tenant}</td>
              <td>{d.thingGroup ?? '—'}</td>
              <td>{d.deviceType ?? '—'}</td>
              <td className="coords">
                {formatLatitude(d.location.latitude, 4)} {formatLongitude(d.location.longitude, 4)}
              </td>
              {withDistance ? <td className="num">{d.distanceMeters === undefined ? '—' : distance(d.distanceMeters)}</td> : null}
              <td>
                <span className={`badge status-${d.status}`}>{d.status}</span>
                {d.registration ? <span className="online" title={`registered at bridge ${d.registration.bridgeId} since ${d.registration.since}`}> · online</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};
