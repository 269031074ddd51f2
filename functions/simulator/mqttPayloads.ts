import { encodeSenmlCbor, type SenmlPack } from '../../schemas/senml/index.ts';

/** What the device publishes over MQTT, as `schemas/topics` fixes it: CBOR SenML, QoS 1. */

export interface AlarmReport {
  /** `<alarmId>` of schemas/alarms: letters, digits, `-:._`. */
  readonly alarmId: string;
  readonly state: 'raised' | 'cleared';
  readonly atSeconds: number;
  readonly code: string;
  readonly severity: 'critical' | 'major' | 'minor' | 'warning';
  readonly message: string;
  /** The LwM2M path the alarm is about. */
  readonly path: string;
}

/** An alarm pack (schemas/alarms/alarmPack.ts): records `<alarmId>/<field>`, the state record carrying the time. */
export const alarmPack = (report: AlarmReport): Uint8Array => {
  const pack: SenmlPack =
    report.state === 'raised'
      ? [
          { bn: `${report.alarmId}/`, bt: report.atSeconds, n: 'state', vs: 'raised' },
          { n: 'code', vs: report.code },
          { n: 'severity', vs: report.severity },
          { n: 'message', vs: report.message },
          { n: 'path', vs: report.path },
        ]
      : [{ bn: `${report.alarmId}/`, bt: report.atSeconds, n: 'state', vs: 'cleared' }];
  return encodeSenmlCbor(pack, { profile: 'lwm2m' });
};

/** The state a device publishes: temperature (with its unit) and its clock (/3/0/13), at one time. */
export const statePack = (celsius: number, atSeconds: number): Uint8Array =>
  encodeSenmlCbor(
    [
      { bn: '/3303/0/', bt: atSeconds, n: '5700', v: celsius, u: 'Cel' },
      { bn: '/3/0/', n: '13', v: atSeconds },
    ],
    { profile: 'lwm2m' },
  );
