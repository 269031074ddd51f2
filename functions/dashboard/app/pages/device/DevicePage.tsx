import { useCallback, useState } from 'react';
import { ApiProblem } from '../../api.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { useLiveRefresh } from '../../components/useLiveRefresh.ts';
import { href, useLocation } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import { AlarmsSection } from './AlarmsSection.tsx';
import { CommandSection } from './CommandSection.tsx';
import { DeviceFacts } from './DeviceFacts.tsx';
import type { DeviceRecord, DeviceStateView } from './deviceTypes.ts';
import { LIVE_REFRESH_MS, StateSection } from './StateSection.tsx';
import { TimelineSection } from './TimelineSection.tsx';
import './device.css';

const NoSuchDevice = ({ thingName }: { thingName: string }) => (
  <section aria-labelledby="no-device-title">
    <h1 id="no-device-title">No such device</h1>
    <p>
      No device is called <code>{thingName}</code>: the directory has never heard of it. Check the name, or <a href={href('/devices')}>search the devices</a>.
    </p>
  </section>
);

/**
 * One device: what the directory knows, its state (live or as of an instant, `?at=` in the URL),
 * its active alarms, the command form, and its event timeline. Live, the state and alarms are read
 * again every LIVE_REFRESH_MS while the tab is shown.
 */
export const DevicePage = ({ thingName }: { thingName: string }) => {
  const { api } = useApp();
  const { query } = useLocation();
  const at = query.get('at') || undefined;
  const path = `/devices/${encodeURIComponent(thingName)}`;
  // Bumped after an acknowledgement: the alarms, the timeline and the state read again.
  const [refreshKey, setRefreshKey] = useState(0);
  const refresh = useCallback(() => setRefreshKey((k) => k + 1), []);
  // The live view follows the device; a historical view is fixed at its instant and never polls.
  const [liveTick, setLiveTick] = useState(0);
  useLiveRefresh(at === undefined, LIVE_REFRESH_MS, () => setLiveTick((t) => t + 1));
  const live = at === undefined ? liveTick : 0;

  const device = useLoad(`${thingName}|${refreshKey}`, () => api.get<DeviceRecord>(path));
  const state = useLoad(`${thingName}|${at ?? ''}|${refreshKey}|${live}`, () => api.get<DeviceStateView>(`${path}/state${at ? `?at=${encodeURIComponent(at)}` : ''}`));

  if (device.error instanceof ApiProblem && device.error.status === 404) return <NoSuchDevice thingName={thingName} />;
  if (!device.data) {
    return (
      <section aria-labelledby="device-title">
        <h1 id="device-title">{thingName}</h1>
        {device.error ? <ProblemMessage error={device.error} /> : <p className="loading">Loading the device…</p>}
      </section>
    );
  }
  return (
    <article className="device-page" aria-labelledby="device-title">
      <p className="breadcrumb">
        <a href={href('/devices')}>Devices</a> /
      </p>
      <h1 id="device-title">
        {thingName}
        {at ? <span className="historical-badge"> (historical view)</span> : null}
      </h1>
      <div className="device-columns">
        <DeviceFacts device={device.data} />
        <StateSection thingName={thingName} at={at} loaded={state} />
      </div>
      <AlarmsSection thingName={thingName} refreshKey={refreshKey} liveTick={live} historical={at !== undefined} onChanged={refresh} />
      <CommandSection thingName={thingName} />
      <TimelineSection thingName={thingName} refreshKey={refreshKey} shownPosition={at ? state.data?.streamPosition : undefined} />
    </article>
  );
};
