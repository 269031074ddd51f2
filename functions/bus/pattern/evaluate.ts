import type { LeafNode, ObjectNode } from './compilePattern.ts';
import { contextsOf, fieldOf, leafValues } from './jsonValues.ts';

const leafMatches = (node: LeafNode, value: unknown): boolean => {
  const values = leafValues(value);
  return node.matchers.some((m) =>
    m.kind === 'exists' ? m.present === values.length > 0 : values.some((v) => m.test(v)),
  );
};

/** All fields and `$or` groups of one pattern object against one context (never an array). */
const objectMatchesContext = (node: ObjectNode, context: unknown): boolean =>
  node.fields.every(([key, child]) =>
    child.kind === 'leaf' ? leafMatches(child, fieldOf(context, key)) : objectMatches(child, fieldOf(context, key)),
  ) && node.anyOf.every((group) => group.some((branch) => objectMatchesContext(branch, context)));

/** A pattern object matches a value when it matches inside at least one of the value's contexts. */
export const objectMatches = (node: ObjectNode, value: unknown): boolean =>
  contextsOf(value).some((context) => objectMatchesContext(node, context));
