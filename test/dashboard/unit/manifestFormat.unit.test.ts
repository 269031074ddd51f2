import { describe, expect, it } from 'vitest';
import { manifestContentType } from '../../../functions/dashboard/app/pages/provisioning/manifestFormat.ts';

describe('the content type of a chosen manifest', () => {
  it('follows the extension, as the server does, over what the browser says', () => {
    expect(manifestContentType({ name: 'devices.CSV', type: 'application/vnd.ms-excel' })).toBe('text/csv');
    expect(manifestContentType({ name: 'devices.json', type: '' })).toBe('application/json');
    expect(manifestContentType({ name: 'devices.jsonl', type: '' })).toBe('application/x-ndjson');
    expect(manifestContentType({ name: 'devices', type: 'text/csv' })).toBe('text/csv');
    expect(manifestContentType({ name: 'devices.txt', type: '' })).toBe('application/octet-stream');
  });
});
