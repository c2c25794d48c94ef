/**
 * The JSON Schema (2020-12) keywords docs/api/openapi.json uses, checked
 * strictly: a keyword this checker does not know fails the check, so the
 * document cannot promise something no test verifies.
 */
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['description', 'title', 'example']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  '$ref',
  'type',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'unevaluatedProperties',
  'allOf',
  'items',
  'minimum',
  'maximum',
  'minLength',
  'pattern',
  'format',
]);

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms. */
export function schemaErrors(root: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword))
      errors.push(`${path}: the schema uses "${keyword}", which this check does not know`);
  }
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, part) => (node as Schema)?.[part], root);
    if (!target) return [...errors, `${path}: unresolved ${schema.$ref}`];
    errors.push(...schemaErrors(root, target as Schema, value, path));
  }
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const types = ([] as unknown[]).concat(schema.type);
    const matches = types.includes(actual) || (actual === 'integer' && types.includes('number'));
    if (!matches) return [...errors, `${path}: ${actual} is not ${types.join(' or ')}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value as never)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      errors.push(`${path}: above ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      errors.push(`${path}: too short`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
    }
    if (schema.format === 'date-time' && !(ISO_TIME.test(value) && Number.isFinite(Date.parse(value)))) {
      errors.push(`${path}: "${value}" is not an RFC 3339 date-time`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, v] of value.entries()) {
      errors.push(...schemaErrors(root, schema.items as Schema, v, `${path}[${i}]`));
    }
  }
  if (actual === 'object') errors.push(...objectErrors(root, schema, value as Record<string, unknown>, path));
  return errors;
}

function objectErrors(root: Schema, schema: Schema, value: Record<string, unknown>, path: string): string[] {
  const errors: string[] = [];
  for (const name of (schema.required as string[] | undefined) ?? []) {
    if (!(name in value)) errors.push(`${path}: "${name}" is required`);
  }
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [name, sub] of Object.entries(properties)) {
    if (name in value) errors.push(...schemaErrors(root, sub, value[name], `${path}.${name}`));
  }
  for (const sub of (schema.allOf as Schema[] | undefined) ?? [])
    errors.push(...schemaErrors(root, sub, value, path));
  const closed = schema.additionalProperties === false || schema.unevaluatedProperties === false;
  if (closed) {
    const known = new Set(evaluatedNames(root, schema));
    for (const name of Object.keys(value)) {
      if (!known.has(name)) errors.push(`${path}: "${name}" is not in the schema`);
    }
  }
  return errors;
}

/** The property names a schema (with its allOf and references) describes. */
function evaluatedNames(root: Schema, schema: Schema): string[] {
  const resolved =
    typeof schema.$ref === 'string'
      ? (schema.$ref
          .replace(/^#\//, '')
          .split('/')
          .reduce<unknown>((node, part) => (node as Schema)?.[part], root) as Schema)
      : schema;
  return [
    ...Object.keys((resolved.properties ?? {}) as Schema),
    ...((resolved.allOf as Schema[] | undefined) ?? []).flatMap((s) => evaluatedNames(root, s)),
  ];
}
