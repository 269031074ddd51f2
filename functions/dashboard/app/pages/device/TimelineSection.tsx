import { useState } from 'react';
import { currentEvents } from '../../../../../events/catalog/index.ts';
import { DEFAULT_OBJECT_MODEL } from '../../../../../schemas/lwm2m/objects/model.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import type { HistoryPage } from './deviceTypes.ts';
import { summarizeEvent } from './eventSummary.ts';
import { useCursorPages } from '../../components/useCursorPages.ts';
import { When } from '../../components/When.tsx';
import { CursorPager } from '../../components/CursorPager.tsx';

const EVENT_TYPES = [...new Set(currentEvents.map((d) => d.type))].sort();
const PAGE_SIZE = 20;

type Direction = 'backwards' | 'forwards';

/**
 * The device's event stream, a page at a time from GET /devices/:thingName/history: newest first
 * unless asked otherwise, filtered by type, each event's data one click away as JSON, and a link
 * to the state as of each event (the replay up to it).
 */
export const TimelineSection = ({ thingName, refreshKey, shownPosition }: { thingName: string; refreshKey: number; shownPosition: number | undefined }) => {
  const { api } = useApp();
  const [direction, setDirection] = useState<Direction>('backwards');
  const [type, setType] = useState('');
  const filters = `${thingName}|${direction}|${type}`;
  const pages = useCursorPages(filters);
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), direction });
  if (type) query.set('type', type);
  if (pages.cursor) query.set('cursor', pages.cursor);
  const loaded = useLoad(`${filters}|${pages.cursor ?? ''}|${refreshKey}`, () => api.get<HistoryPage>(`/devices/${encodeURIComponent(thingName)}/history?${query.toString()}`));
  const items = loaded.data?.items ?? [];
  const devicePath = `/devices/${encodeURIComponent(thingName)}`;

  return (
    <section aria-labelledby="timeline-title" className="device-timeline panel">
      <h2 id="timeline-title">Event timeline</h2>
      <div className="toolbar timeline-filters">
        <label htmlFor="timeline-type">Event type</label>
        <select id="timeline-type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">All types</option>
          {EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label htmlFor="timeline-order">Order</label>
        <select id="timeline-order" value={direction} onChange={(e) => setDirection(e.target.value as Direction)}>
          <option value="backwards">Newest first</option>
          <option value="forwards">Oldest first</option>
        </select>
        <button type="button" onClick={loaded.reload} disabled={loaded.loading}>
          Refresh
        </button>
      </div>
      <ProblemMessage error={loaded.error} />
      {loaded.data === undefined ? (
        loaded.loading ? <p className="loading">Loading the history…</p> : null
      ) : items.length === 0 ? (
        <p className="empty">{loaded.data.nextCursor ? 'No matching events on this page; there are more further on.' : 'No events match.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="timeline-table">
            <caption>
              Events of {thingName}, {direction === 'backwards' ? 'newest' : 'oldest'} first (page {pages.page})
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Recorded</th>
                <th scope="col">Type</th>
                <th scope="col">What happened</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => {
                const isShown = shownPosition === event.streamPosition;
                return (
                  <tr key={event.eventId} className={isShown ? 'shown-state' : undefined} aria-current={isShown ? 'true' : undefined}>
                    <td>{event.streamPosition}</td>
                    <td>
                      <When iso={event.recordedAt} />
                    </td>
                    <td>
                      <code>{event.type}</code>
                      {event.upcastFrom !== undefined ? <small> (stored as v{event.upcastFrom})</small> : null}
                    </td>
                    <td>
                      <span>{event.unreadable ? `Unreadable: ${event.unreadable}` : summarizeEvent(event.type, event.data, DEFAULT_OBJECT_MODEL)}</span>
                      <span className="actor">
                        {' '}
                        by {event.actor.kind} {event.actor.id}
                      </span>
                      <details>
                        <summary>Event data (JSON)</summary>
                        <pre>{JSON.stringify({ data: event.data, actor: event.actor, eventId: event.eventId, correlationId: event.correlationId }, null, 2)}</pre>
                      </details>
                    </td>
                    <td>
                      {isShown ? (
                        <strong>State shown above</strong>
                      ) : (
                        <a href={href(devicePath, { at: event.recordedAt })}>
                          State at this event<span className="visually-hidden"> (#{event.streamPosition})</span>
                        </a>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager label="Timeline pages" pages={pages} nextCursor={loaded.data?.nextCursor} previousText={direction === 'backwards' ? 'Newer events' : 'Earlier events'} nextText={direction === 'backwards' ? 'Older events' : 'Later events'} />
    </section>
  );
};
