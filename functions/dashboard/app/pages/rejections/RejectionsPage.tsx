import { useState, type FormEvent } from 'react';
import { ThingName } from '../../../../../events/catalog/common.ts';
import type { z } from 'zod';
import { REJECTION_STAGES } from '../../../../deviceViews/deviceReadModel.ts';
import type { RejectionPageSchema, RejectionSchema } from '../../../../deviceViews/deviceViewResponses.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href, navigate, useLocation } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import { useCursorPages } from '../../components/useCursorPages.ts';
import { When } from '../../components/When.tsx';
import { bytesFromBase64, previewBytes } from './payloadPreview.ts';
import './rejections.css';
import { CursorPager } from '../../components/CursorPager.tsx';

/** A row of GET /rejections?include=payload, as the server's response schema says (types only). */
type Rejection = z.infer<typeof RejectionSchema>;
type RejectionPage = z.infer<typeof RejectionPageSchema>;

/** With the payloads, a page holds at most 20 rejections (each keeps up to 128 KiB): the route's own cap. */
const PAGE_SIZE = 20;

const STAGE_TEXT: Readonly<Record<string, string>> = {
  topic: 'topic: not a topic devices publish on',
  decode: 'decode: not CBOR SenML',
  validate: 'validate: decoded, but not a valid report',
  'unknown-device': 'unknown device: no such device',
};

const Payload = ({ rejection }: { rejection: Rejection }) => {
  if (rejection.payloadBase64 === undefined) return <span>{rejection.payloadBytes} bytes (not loaded)</span>;
  const bytes = bytesFromBase64(rejection.payloadBase64);
  if (!bytes) return <span>{rejection.payloadBytes} bytes (the kept copy is not readable base64)</span>;
  const preview = previewBytes(bytes);
  return (
    <div className="payload">
      <div>
        {rejection.payloadBytes} bytes{rejection.truncated ? `, the first ${bytes.length} kept` : ''}
      </div>
      {bytes.length > 0 ? (
        <>
          <code className="hex" data-testid="payload-hex">
            {preview.hex}
            {preview.more > 0 ? ` … (${preview.more} more)` : ''}
          </code>
          <code className="ascii" aria-label="as text">
            {preview.ascii}
          </code>
          <details>
            <summary>Base64</summary>
            <pre>{rejection.payloadBase64}</pre>
          </details>
        </>
      ) : null}
    </div>
  );
};

const RejectionFilterForm = ({ thingName, stage }: { thingName: string; stage: string }) => {
  const [device, setDevice] = useState(thingName);
  const [chosenStage, setChosenStage] = useState(stage);
  const [problem, setProblem] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const name = device.trim();
    if (name && !ThingName.safeParse(name).success) {
      setProblem('A device name is 1-128 letters, digits, ":", "_" and "-".');
      return;
    }
    setProblem(undefined);
    navigate('/rejections', { thingName: name, stage: chosenStage });
  };
  return (
    <form className="toolbar filters" onSubmit={submit} noValidate aria-label="Filter the rejections">
      <div className="field">
        <label htmlFor="rejections-thing">Device</label>
        <input
          id="rejections-thing"
          type="text"
          placeholder="any device"
          value={device}
          onChange={(e) => setDevice(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'rejections-thing-problem' : undefined}
        />
        {problem ? (
          <p className="field-problem" id="rejections-thing-problem">
            {problem}
          </p>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor="rejections-stage">Refused at</label>
        <select id="rejections-stage" value={chosenStage} onChange={(e) => setChosenStage(e.target.value)}>
          <option value="">any stage</option>
          {REJECTION_STAGES.map((s) => (
            <option key={s} value={s}>
              {STAGE_TEXT[s] ?? s}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary">Apply filters</button>
      <a href={href('/rejections')}>Clear filters</a>
    </form>
  );
};

/**
 * Messages the system could not take (GET /rejections): from which device, on which topic, why,
 * when, and a look at the bytes it kept. Newest first, filtered by device and stage, paged.
 */
export const RejectionsPage = () => {
  const { api } = useApp();
  const { query } = useLocation();
  const thingName = query.get('thingName')?.trim() ?? '';
  const stage = query.get('stage') ?? '';
  const filters = new URLSearchParams({ include: 'payload', limit: String(PAGE_SIZE) });
  if (thingName) filters.set('thingName', thingName);
  if (stage) filters.set('stage', stage);
  const key = filters.toString();
  const pages = useCursorPages(key);
  const loaded = useLoad(`${key}|${pages.cursor ?? ''}`, () => api.get<RejectionPage>(`/rejections?${key}${pages.cursor ? `&cursor=${encodeURIComponent(pages.cursor)}` : ''}`));
  const items = loaded.data?.items ?? [];
  return (
    <section className="rejections-page" aria-labelledby="rejections-title">
      <h1 id="rejections-title">Rejected messages</h1>
      <p>Messages that could not be decoded or validated. Nothing is lost: each is kept with its bytes and the reason. Newest first.</p>
      <RejectionFilterForm key={key} thingName={thingName} stage={stage} />
      <ProblemMessage error={loaded.error} />
      {loaded.data === undefined ? (
        loaded.loading ? <p className="loading">Loading the rejections…</p> : null
      ) : items.length === 0 ? (
        <p className="empty">{thingName || stage ? 'No rejected messages match these filters.' : 'No message has been rejected.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="rejections-table">
            <caption>
              Rejected messages{thingName ? ` from ${thingName}` : ''}
              {stage ? ` refused at ${stage}` : ''}, page {pages.page}
            </caption>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Device</th>
                <th scope="col">Topic</th>
                <th scope="col">Reason</th>
                <th scope="col">Bytes</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.eventId}>
                  <td>
                    <When iso={r.receivedAt} />
                  </td>
                  <td>{r.thingName ? <a href={href(`/devices/${encodeURIComponent(r.thingName)}`)}>{r.thingName}</a> : 'unidentified sender'}</td>
                  <td>
                    <code>{r.topic}</code>
                  </td>
                  <td>
                    <span className="badge tone-neutral">{r.stage}</span>: {r.reason}
                  </td>
                  <td>
                    <Payload rejection={r} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager label="Rejection pages" pages={pages} nextCursor={loaded.data?.nextCursor} previousText={'Newer rejections'} nextText={'Older rejections'} />
    </section>
  );
};
