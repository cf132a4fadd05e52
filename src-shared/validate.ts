// A small validator kit for untrusted JSON (config files, control requests). Each validator both
// checks a value and names its type, so a schema is written once and the TypeScript type derives
// from it. Messages name the offending key by its path, e.g. `"whitelist[2]" must be …`.

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };
export type Validator<T> = (value: unknown, path: string) => Checked<T>;
export type Infer<V> = V extends Validator<infer T> ? T : never;

const good = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = (path: string, expectation: string, value: unknown): Checked<never> => ({
  ok: false,
  error: `${path ? `"${path}"` : 'the value'} must be ${expectation} (got ${describe(value)})`,
});

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const child = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

export function text(options: { maxLength?: number; nonEmpty?: boolean } = {}): Validator<string> {
  const maxLength = options.maxLength ?? 4096;
  return (value, path) =>
    typeof value === 'string' && value.length <= maxLength && (!options.nonEmpty || value.length > 0)
      ? good(value)
      : bad(
          path,
          `${options.nonEmpty ? 'a non-empty' : 'a'} string of at most ${maxLength} characters`,
          value,
        );
}

export function integer(min: number, max: number): Validator<number> {
  return (value, path) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? good(value)
      : bad(path, `an integer from ${min} to ${max}`, value);
}

export const boolean: Validator<boolean> = (value, path) =>
  typeof value === 'boolean' ? good(value) : bad(path, 'true or false', value);

export function oneOf<const T extends readonly string[]>(choices: T): Validator<T[number]> {
  return (value, path) =>
    typeof value === 'string' && choices.includes(value)
      ? good(value as T[number])
      : bad(path, `one of ${choices.map((c) => `"${c}"`).join(', ')}`, value);
}

export function list<T>(item: Validator<T>, maxItems: number): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value) || value.length > maxItems)
      return bad(path, `a list of at most ${maxItems} items`, value);
    const out: T[] = [];
    for (const [i, element] of value.entries()) {
      const checked = item(element, child(path, i));
      if (!checked.ok) return checked;
      out.push(checked.value);
    }
    return good(out);
  };
}

/** A string that `parse` turns into a value, or rejects with the expectation it failed. */
export function parsed<T>(expectation: string, parse: (text: string) => T | undefined): Validator<T> {
  return (value, path) => {
    const result = typeof value === 'string' ? parse(value) : undefined;
    return result === undefined ? bad(path, expectation, value) : good(result);
  };
}

export interface Optional<T> {
  optional: true;
  check: Validator<T>;
}
export const optional = <T>(check: Validator<T>): Optional<T> => ({ optional: true, check });

type Field = Validator<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type FieldType<F> = F extends Optional<infer T> ? T : F extends Validator<infer T> ? T : never;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
export type ShapeType<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: FieldType<S[K]> } & {
  [K in OptionalKeys<S>]?: FieldType<S[K]>;
};

/** A JSON object with exactly these keys: an unknown key is an error, since it is usually a typo. */
export function object<S extends Shape>(shape: S): Validator<ShapeType<S>> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return bad(path, 'an object', value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(shape, key)) {
        const known = Object.keys(shape);
        return {
          ok: false,
          error: `unknown key "${child(path, key)}"${known.length ? ` (known keys: ${known.join(', ')})` : ''}`,
        };
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(shape)) {
      const present = Object.hasOwn(record, key) && record[key] !== undefined;
      if ('optional' in field) {
        if (!present) continue;
        const checked = field.check(record[key], child(path, key));
        if (!checked.ok) return checked;
        out[key] = checked.value;
      } else {
        const checked = field(record[key], child(path, key));
        if (!checked.ok) return checked;
        out[key] = checked.value;
      }
    }
    return good(out as ShapeType<S>);
  };
}
