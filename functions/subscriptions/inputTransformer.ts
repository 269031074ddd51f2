import type { EventBridgeEnvelope } from '../bus/envelope.ts';
import { compileJsonPath, JsonPathError, type CompiledPath } from './jsonPath.ts';

export interface InputTransformerSpec {
  readonly inputPathsMap?: Readonly<Record<string, string>> | undefined;
  readonly inputTemplate: string;
}

/** What the predefined variables stand for when one event is delivered. */
export interface TransformContext {
  readonly ruleName: string;
  readonly ruleArn: string;
  /** ISO 8601: when the event reached the bus (for stored events: when the store recorded it). */
  readonly ingestionTime: string;
}

export class InputTransformerError extends Error {
  override name = 'InputTransformerError';
  /** The field at fault, relative to the transformer: "inputPathsMap.state", "inputTemplate". */
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_INPUT_PATHS = 100;
export const MAX_TEMPLATE_LENGTH = 8192;
const KEY = /^[A-Za-z0-9_-]{1,256}$/;
const PREDEFINED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json'] as const;
/** These insert JSON objects unescaped, so EventBridge allows them only as JSON values, not inside strings. */
const JSON_ONLY = new Set<string>(['aws.events.event', 'aws.events.event.json']);
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/g;

type Piece = { kind: 'text'; text: string } | { kind: 'var'; name: string; inString: boolean };

/** Splits the template at known placeholders, noting which ones sit inside a JSON string literal. */
const split = (template: string, known: ReadonlySet<string>): Piece[] => {
  const pieces: Piece[] = [];
  let inString = false;
  let escaped = false;
  let textStart = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (inString && escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\' && inString) {
      escaped = true;
      continue;
    }
    if (c === '"') {
      inString = !inString;
      continue;
    }
    if (c !== '<') continue;
    PLACEHOLDER.lastIndex = i;
    const m = PLACEHOLDER.exec(template);
    if (!m || m.index !== i || !known.has(m[1]!)) continue; // "<" without a known name is text: EventBridge has no escape for it
    if (i > textStart) pieces.push({ kind: 'text', text: template.slice(textStart, i) });
    pieces.push({ kind: 'var', name: m[1]!, inString });
    i += m[0].length - 1;
    textStart = i + 1;
  }
  if (textStart < template.length) pieces.push({ kind: 'text', text: template.slice(textStart) });
  return pieces;
};

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** A value inserted inside a JSON string: its JSON text, escaped so the string stays valid. */
const escapedInString = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text).slice(1, -1);
};

export type CompiledInputTransformer = (event: EventBridgeEnvelope, context: TransformContext) => string;

/**
 * Compiles an EventBridge input transformer. Semantics, as EventBridge documents them:
 *
 * - `<name>` is replaced by the value at `inputPathsMap[name]` (a JSONPath into the event), or by a
 *   predefined variable: `aws.events.rule-name`, `aws.events.rule-arn`,
 *   `aws.events.event.ingestion-time`, `aws.events.event` (the envelope without `detail`) and
 *   `aws.events.event.json` (the whole envelope). An unknown `<name>` stays as text.
 * - A template that is JSON once filled in (an object, array or quoted string) is a JSON template:
 *   a placeholder outside quotes becomes the value as JSON (strings quoted); inside quotes it
 *   becomes the value's text, JSON-escaped (quotes and backslashes cannot break the string). The
 *   output is minified JSON.
 * - Any other template is text: placeholders become the string value itself, or JSON for others.
 * - A path that matches nothing leaves its variable uncreated: `null` outside quotes, nothing inside.
 *
 * Throws InputTransformerError naming the field at fault.
 */
export const compileInputTransformer = (spec: InputTransformerSpec): CompiledInputTransformer => {
  const entries = Object.entries(spec.inputPathsMap ?? {});
  if (entries.length > MAX_INPUT_PATHS) throw new InputTransformerError('inputPathsMap', `has ${entries.length} variables; EventBridge allows at most ${MAX_INPUT_PATHS}`);
  const paths = new Map<string, CompiledPath>();
  for (const [key, path] of entries) {
    if (!KEY.test(key)) throw new InputTransformerError(`inputPathsMap.${key}`, `"${key}" is not a valid variable name: use 1 to 256 letters, digits, "_" or "-"`);
    try {
      paths.set(key, compileJsonPath(path));
    } catch (error) {
      if (error instanceof JsonPathError) throw new InputTransformerError(`inputPathsMap.${key}`, error.message);
      throw error;
    }
  }
  const template = spec.inputTemplate;
  if (typeof template !== 'string' || template.length === 0) throw new InputTransformerError('inputTemplate', 'must be a non-empty string');
  if (template.length > MAX_TEMPLATE_LENGTH) throw new InputTransformerError('inputTemplate', `is ${template.length} characters; EventBridge allows at most ${MAX_TEMPLATE_LENGTH}`);

  const pieces = split(template, new Set([...paths.keys(), ...PREDEFINED]));
  const probe = pieces.map((p) => (p.kind === 'text' ? p.text : p.inString ? 'x' : 'null')).join('');
  const json = isJson(probe);
  const looksJson = /^\s*[{["]/.test(template);
  if (looksJson && !json) {
    throw new InputTransformerError(
      'inputTemplate',
      'starts like JSON but is not valid JSON once its placeholders are filled: check quotes and commas, and note that a placeholder cannot be an object key',
    );
  }
  for (const p of pieces) {
    if (p.kind === 'var' && JSON_ONLY.has(p.name) && (!json || p.inString)) {
      throw new InputTransformerError('inputTemplate', `<${p.name}> inserts a JSON object unescaped, so it can only be a value in a JSON template, not inside quotes or text`);
    }
  }

  return (event, context) => {
    const { detail: _detail, ...withoutDetail } = event;
    const predefined: Record<string, unknown> = {
      'aws.events.rule-arn': context.ruleArn,
      'aws.events.rule-name': context.ruleName,
      'aws.events.event.ingestion-time': context.ingestionTime,
      'aws.events.event': withoutDetail,
      'aws.events.event.json': event,
    };
    const lookup = (name: string): { found: true; value: unknown } | { found: false } => {
      const path = paths.get(name);
      if (path) return path.evaluate(event);
      return name in predefined ? { found: true, value: predefined[name] } : { found: false };
    };
    const out = pieces
      .map((p) => {
        if (p.kind === 'text') return p.text;
        const v = lookup(p.name);
        if (json && p.inString) return v.found ? escapedInString(v.value) : '';
        if (json) return v.found ? (JSON.stringify(v.value) ?? 'null') : 'null';
        if (!v.found) return '';
        return typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
      })
      .join('');
    // Minified like EventBridge's; a JSON template stays JSON whatever the values, since they are escaped.
    return json ? JSON.stringify(JSON.parse(out)) : out;
  };
};
