import { useState } from 'react';
import { DEFAULT_OBJECT_MODEL } from '../../../../../schemas/lwm2m/objects/model.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import type { Alarm, AlarmsPage } from './deviceTypes.ts';
import { describeKey } from './stateRows.ts';
import { useCursorPages } from '../../components/useCursorPages.ts';
import { When } from '../../components/When.tsx';
import { CursorPager } from '../../components/CursorPager.tsx';

const ACK_ROUTE = '/devices/:thingName/alarms/:alarmId/ack';

/** "Temperature / Sensor Value (/3303/0/5700)" for an alarm's path, or the path alone. */
const pathName = (path: string | undefined): string | undefined => {
  if (!path) return undefined;
  const row = describeKey(path, { value: { kind: 'number', v: 0 }, time: '' }, DEFAULT_OBJECT_MODEL);
  const object = row.objectId === undefined ? undefined : DEFAULT_OBJECT_MODEL.object(row.objectId);
  return row.resourceName && object ? `${object.name} / ${row.resourceName} (${path})` : path;
};

/**
 * The device's active alarms, worst first as the server orders them, each with who acknowledged
 * it; operators and admins get an Acknowledge button (the permission table says who may).
 */
/** `liveTick` changes when the live view polls: the list is read again, keeping the rows shown meanwhile. */
export const AlarmsSection = ({
  thingName,
  refreshKey,
  liveTick,
  historical,
  onChanged,
}: {
  thingName: string;
  refreshKey: number;
  liveTick: number;
  historical: boolean;
  onChanged: () => void;
}) => {
  const { api, can } = useApp();
  const pages = useCursorPages(thingName);
  const loaded = useLoad(`${thingName}|${pages.cursor ?? ''}|${refreshKey}|${liveTick}`, () =>
    api.get<AlarmsPage>(`/devices/${encodeURIComponent(thingName)}/alarms?status=active${pages.cursor ? `&cursor=${encodeURIComponent(pages.cursor)}` : ''}`),
  );
  const mayAcknowledge = can('POST', ACK_ROUTE);
  const [busy, setBusy] = useState<string>();
  const [ackError, setAckError] = useState<unknown>();
  const [announcement, setAnnouncement] = useState('');

  const acknowledge = async (alarm: Alarm) => {
    setBusy(alarm.alarmId);
    setAckError(undefined);
    try {
      await api.post(`/devices/${encodeURIComponent(thingName)}/alarms/${encodeURIComponent(alarm.alarmId)}/ack`, {});
      setAnnouncement(`Alarm ${alarm.code} acknowledged.`);
      loaded.reload();
      onChanged();
    } catch (error) {
      setAckError(error);
    } finally {
      setBusy(undefined);
    }
  };

  const items = loaded.data?.items ?? [];
  return (
    <section aria-labelledby="alarms-title" className="device-alarms panel">
      <h2 id="alarms-title">Active alarms</h2>
      {historical ? <p className="live-note-alarms">Alarms are shown as they are now, not as of the time above.</p> : null}
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      <ProblemMessage error={loaded.error} />
      <ProblemMessage error={ackError} />
      {loaded.data === undefined ? (
        loaded.loading ? <p className="loading">Loading the alarms…</p> : null
      ) : items.length === 0 ? (
        <p className="empty">No active alarms.</p>
      ) : (
        <div className="table-wrap">
          <table className="alarms-table">
            <caption>Active alarms of {thingName}</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Alarm</th>
                <th scope="col">Resource</th>
                <th scope="col">Since</th>
                <th scope="col">Acknowledged</th>
                {mayAcknowledge ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((alarm) => (
                <tr key={alarm.alarmId}>
                  <td>
                    <span className={`badge severity-${alarm.severity}`}>{alarm.severity}</span>
                  </td>
                  <td>
                    <strong>{alarm.code}</strong>
                    {alarm.message ? <span className="alarm-message"> {alarm.message}</span> : null}
                    <br />
                    <small>
                      id <code>{alarm.alarmId}</code>
                    </small>
                  </td>
                  <td>{pathName(alarm.path) ?? '—'}</td>
                  <td>
                    <When iso={alarm.since} />
                  </td>
                  <td>
                    {alarm.acknowledged ? (
                      <>
                        by {alarm.acknowledged.by}, <When iso={alarm.acknowledged.at} />
                        {alarm.acknowledged.note ? ` (${alarm.acknowledged.note})` : ''}
                      </>
                    ) : (
                      'not yet'
                    )}
                  </td>
                  {mayAcknowledge ? (
                    <td>
                      {alarm.acknowledged ? null : (
                        <button type="button" onClick={() => void acknowledge(alarm)} disabled={busy !== undefined}>
                          {busy === alarm.alarmId ? 'Acknowledging…' : 'Acknowledge'}
                          <span className="visually-hidden"> alarm {alarm.code}</span>
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager label="Alarm pages" pages={pages} nextCursor={loaded.data?.nextCursor} previousText={'Previous alarms'} nextText={'More alarms'} />
    </section>
  );
};
