import { DEFAULT_OBJECT_MODEL } from '../../../../../schemas/lwm2m/objects/model.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href } from '../../router.ts';
import type { Loaded } from '../../useLoad.ts';
import { AsOfControl } from './AsOfControl.tsx';
import type { DeviceStateView } from './deviceTypes.ts';
import { groupState, showValue, type StateRow } from './stateRows.ts';
import { When } from '../../components/When.tsx';

const ResourceCell = ({ row }: { row: StateRow }) => {
  switch (row.known) {
    case 'resource':
      return <>{row.resourceName}</>;
    case 'unknown-resource':
      return <span className="unknown">unknown resource</span>;
    case 'unknown-object':
      return <span className="unknown">unknown resource (object not in the model)</span>;
    case 'not-a-path':
      return <span className="unknown">not an LwM2M path</span>;
  }
};

const StateTables = ({ view }: { view: DeviceStateView }) => {
  if (!view.state) {
    return <p className="empty">{view.source === 'replay' ? 'The device had reported no state by then.' : 'The device has not reported any state yet.'}</p>;
  }
  const groups = groupState(view.state.resources, DEFAULT_OBJECT_MODEL);
  return (
    <>
      <p className="state-summary">
        {view.state.messages} {view.state.messages === 1 ? 'message' : 'messages'}; last seen <When iso={view.state.lastSeen} />, device time of the latest value{' '}
        <When iso={view.state.lastReportedAt} />.
      </p>
      {groups.map((group) => (
        <div className="table-wrap" key={group.id}>
          <table className="state-table" data-testid={`state-${group.id}`}>
            <caption>{group.title}</caption>
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Resource</th>
                <th scope="col">Value</th>
                <th scope="col">Reported at</th>
              </tr>
            </thead>
            <tbody>
              {group.rows.map((row) => {
                const shown = showValue(row.state.value, { unit: row.state.unit, resource: row.resource });
                return (
                  <tr key={row.key}>
                    <td>
                      <code>{row.key}</code>
                    </td>
                    <td>
                      <ResourceCell row={row} />
                    </td>
                    <td className="value" title={shown.detail}>
                      {shown.text}
                    </td>
                    <td>
                      <When iso={row.state.time} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
};

/** How often the live view reads the state and alarms again (DevicePage): devices report every few seconds to minutes. */
export const LIVE_REFRESH_MS = 5000;

/** The device's state, live or as of an instant (a replay of its stream), grouped by LwM2M object. */
export const StateSection = ({ thingName, at, loaded }: { thingName: string; at: string | undefined; loaded: Loaded<DeviceStateView> }) => {
  const view = loaded.data;
  // While a new instant loads, the old answer is not shown as if it were the new one.
  const current = view && (at ? view.source === 'replay' && view.at !== undefined && Date.parse(view.at) === Date.parse(at) : view.source === 'projection') ? view : undefined;
  return (
    <section aria-labelledby="state-title" className="device-state panel">
      <h2 id="state-title">State</h2>
      <AsOfControl key={at ?? 'live'} thingName={thingName} at={at} />
      {at ? (
        <div className="historical" role="status" data-testid="historical-marker">
          <strong>Historical view.</strong> This is the state as recorded at <When iso={at} />
          {current?.streamPosition !== undefined ? `, replayed from the first ${current.streamPosition} events of the device's history` : ''}; newer values are not shown.{' '}
          <a href={href(`/devices/${encodeURIComponent(thingName)}`)}>Back to the live state</a>
        </div>
      ) : (
        <p className="live-note">
          Live state, read again every {LIVE_REFRESH_MS / 1000} seconds while this tab is shown.{' '}
          <button type="button" onClick={loaded.reload} disabled={loaded.loading}>
            Refresh
          </button>
        </p>
      )}
      <ProblemMessage error={loaded.error} />
      {current ? <StateTables view={current} /> : loaded.loading ? <p className="loading">Loading the state…</p> : null}
    </section>
  );
};
