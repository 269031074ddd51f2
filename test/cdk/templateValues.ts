/**
 * Evaluates the few intrinsics our templates use (Ref of pseudo parameters, Fn::Join) for a fixed
 * account and region, so tests compare synthesized documents with the documents runtime code builds.
 */
export const TEST_ENV = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' } as const;

const PSEUDO: Record<string, string> = {
  'AWS::Partition': TEST_ENV.partition,
  'AWS::Region': TEST_ENV.region,
  'AWS::AccountId': TEST_ENV.accountId,
  'AWS::URLSuffix': 'amazonaws.com',
};

export const resolvePseudo = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(resolvePseudo);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string' && Object.keys(o).length === 1 && o.Ref in PSEUDO) return PSEUDO[o.Ref];
  if ('Fn::Join' in o && Object.keys(o).length === 1) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    const resolved = parts.map(resolvePseudo);
    if (resolved.every((p) => typeof p === 'string')) return resolved.join(sep);
    if (sep !== '') return { 'Fn::Join': [sep, resolved] };
    // Adjacent literal parts merge, so only the references that are left stay apart.
    const merged = resolved.reduce<unknown[]>((acc, p) => {
      const last = acc[acc.length - 1];
      if (typeof p === 'string' && typeof last === 'string') acc[acc.length - 1] = last + p;
      else acc.push(p);
      return acc;
    }, []);
    return { 'Fn::Join': [sep, merged] };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolvePseudo(v)]));
};

export interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
}

export const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
