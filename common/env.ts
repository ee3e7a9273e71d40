/**
 * Typed environment-variable parsing. Every variable the project reads is declared once in
 * `common/config.ts` with one of these parsers, so that a bad value stops the process at start-up
 * with a message naming the variable, instead of surfacing later as a strange failure.
 */

import { isIP } from 'node:net';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface Variable<T> {
  /** The environment variable's name. */
  readonly name: string;
  /** What it does, shown in the README and in errors. */
  readonly description: string;
  /** Default as the README shows it ('' when unset means "off" or "embedded"). */
  readonly defaultText: string;
  /** `env` is the whole environment being read, for rules that depend on NODE_ENV (see `secret`). */
  parse(raw: string | undefined, env?: Env): T;
  /** A warning to print at start-up for this value (e.g. a development secret in use), if any. */
  warning?(raw: string | undefined, env: Env): string | undefined;
}

type Env = Record<string, string | undefined>;

function fail(name: string, raw: string, expected: string): never {
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected ${expected}`);
}

export function int(
  name: string,
  description: string,
  fallback: number,
  range: { min?: number; max?: number } = {},
): Variable<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  return {
    name,
    description,
    defaultText: String(fallback),
    parse(raw) {
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        fail(name, raw, `an integer between ${min} and ${max}`);
      }
      return value;
    },
  };
}

export function ratio(name: string, description: string, fallback: number): Variable<number> {
  return {
    name,
    description,
    defaultText: String(fallback),
    parse(raw) {
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0 || value > 1) fail(name, raw, 'a number between 0 and 1');
      return value;
    },
  };
}

/** A latency range in milliseconds, written `40` or `20-80`. */
export function msRange(
  name: string,
  description: string,
  fallback: [number, number],
): Variable<[number, number]> {
  return {
    name,
    description,
    defaultText: fallback[0] === fallback[1] ? String(fallback[0]) : `${fallback[0]}-${fallback[1]}`,
    parse(raw) {
      if (raw === undefined || raw === '') return fallback;
      const match = /^(\d+)(?:-(\d+))?$/.exec(raw.trim());
      if (!match) fail(name, raw, 'milliseconds, as "40" or "20-80"');
      const low = Number(match[1]);
      const high = match[2] === undefined ? low : Number(match[2]);
      if (high < low) fail(name, raw, 'a range whose upper bound is not below its lower bound');
      return [low, high];
    },
  };
}

export function str(name: string, description: string, fallback: string): Variable<string> {
  return {
    name,
    description,
    defaultText: fallback,
    parse: (raw) => (raw === undefined || raw === '' ? fallback : raw),
  };
}

/** An optional URL: unset means "use the embedded default" (documented per variable). */
export function optionalUrl(
  name: string,
  description: string,
  protocols: string[],
): Variable<string | undefined> {
  return {
    name,
    description,
    defaultText: '',
    parse(raw) {
      if (raw === undefined || raw === '') return undefined;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        fail(name, raw, `a URL (${protocols.join(', ')})`);
      }
      if (!protocols.includes(url.protocol)) fail(name, raw, `a URL with protocol ${protocols.join(' or ')}`);
      return raw;
    },
  };
}

export function url(name: string, description: string, fallback: string, protocols = ['http:', 'https:']): Variable<string> {
  const inner = optionalUrl(name, description, protocols);
  return { ...inner, defaultText: fallback, parse: (raw) => inner.parse(raw) ?? fallback };
}

export function oneOf<const T extends string>(
  name: string,
  description: string,
  values: readonly T[],
  fallback: T,
): Variable<T> {
  return {
    name,
    description,
    defaultText: fallback,
    parse(raw) {
      if (raw === undefined || raw === '') return fallback;
      if (!(values as readonly string[]).includes(raw)) fail(name, raw, `one of ${values.join(', ')}`);
      return raw as T;
    },
  };
}

/** `key=value` pairs separated by commas, trimmed; a pair without `=` has an empty key. Unset or blank: none. */
function pairsOf(raw: string | undefined): { key: string; value: string }[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    return eq <= 0 ? { key: '', value: pair.trim() } : { key: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
  });
}

/** `name=url,name=url` pairs, e.g. to point the gateway at subgraphs on other hosts. */
export function urlMap(name: string, description: string): Variable<Record<string, string>> {
  return {
    name,
    description,
    defaultText: '',
    parse(raw) {
      const out: Record<string, string> = {};
      for (const { key, value } of pairsOf(raw)) {
        if (key === '' || !value) fail(name, raw!, 'comma-separated name=url pairs');
        try {
          new URL(value);
        } catch {
          fail(name, raw!, `a valid URL for ${key}`);
        }
        out[key] = value;
      }
      return out;
    },
  };
}

/**
 * Comma-separated web origins (`scheme://host[:port]`, no path), as browsers send them in `Origin`.
 * Each is normalised the way browsers write it (lower case, default port dropped); `*` is refused:
 * an allow-list that allows everything is not one.
 */
export function originList(name: string, description: string): Variable<string[]> {
  return {
    name,
    description,
    defaultText: '',
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return [];
      return raw.split(',').map((entry) => {
        const value = entry.trim();
        let origin: URL;
        try {
          origin = new URL(value);
        } catch {
          fail(name, raw, `comma-separated origins such as https://portail.example.fr ("${value}" is not one)`);
        }
        if (!['http:', 'https:'].includes(origin.protocol) || origin.origin !== value.toLowerCase().replace(/\/$/, '').replace(/:(80|443)$/, '')) {
          fail(name, raw, `comma-separated origins (scheme://host[:port], no path) ("${value}" is not one)`);
        }
        return origin.origin;
      });
    },
  };
}

/**
 * `key=value` pairs separated by commas, values percent-decoded (the OpenTelemetry form of
 * OTEL_EXPORTER_OTLP_HEADERS, e.g. `authorization=Bearer%20abc,x-scope-orgid=region`).
 */
export function keyValueList(name: string, description: string): Variable<Record<string, string>> {
  return {
    name,
    description,
    defaultText: '',
    parse(raw) {
      const out: Record<string, string> = {};
      for (const { key, value } of pairsOf(raw)) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) fail(name, '(not shown)', 'comma-separated key=value pairs with header names as keys');
        try {
          out[key] = decodeURIComponent(value);
        } catch {
          fail(name, '(not shown)', `a percent-encoded value for ${key}`);
        }
      }
      return out;
    },
  };
}

/** Comma-separated IP addresses and CIDR blocks (e.g. `10.0.0.0/8,::1`), each checked. */
export function addressList(name: string, description: string): Variable<string[]> {
  return {
    name,
    description,
    defaultText: '',
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return [];
      return raw.split(',').map((entry) => {
        const value = entry.trim();
        const [address, prefix, extra] = value.split('/');
        const family = isIP(address ?? '');
        const bits = prefix === undefined ? null : Number(prefix);
        const validPrefix = bits === null || (/^\d+$/.test(prefix!) && bits <= (family === 6 ? 128 : 32));
        if (family === 0 || extra !== undefined || !validPrefix) fail(name, raw, `comma-separated IP addresses or CIDR blocks ("${value}" is not one)`);
        return value;
      });
    },
  };
}

/** Whether `env` asks for production (NODE_ENV=production); development and test are treated alike. */
export function isProduction(env: Env): boolean {
  return env.NODE_ENV === 'production';
}

/** Shortest secret accepted, in characters: an HS256 key should carry at least 256 bits. */
export const MIN_SECRET_LENGTH = 32;

/**
 * A shared secret (HMAC key). One rule for every process that reads one:
 * - unset: the documented development default, with a start-up warning — and REFUSED in production;
 * - set but empty, or shorter than MIN_SECRET_LENGTH characters: refused in every mode;
 * - equal to the development default in production: refused.
 * Refusals are ConfigErrors naming the variable and why.
 */
export function secret(name: string, description: string, developmentDefault: string): Variable<string> {
  return {
    name,
    description,
    defaultText: developmentDefault,
    parse(raw, env = {}) {
      const production = isProduction(env);
      if (raw === undefined) {
        if (production) throw new ConfigError(`${name} is not set: production (NODE_ENV=production) needs a secret of its own, of at least ${MIN_SECRET_LENGTH} characters.`);
        return developmentDefault;
      }
      // The value itself never appears in the message: it is a secret, even when it is a bad one.
      if (raw === '') throw new ConfigError(`${name} is set but empty: unset it in development, or give it at least ${MIN_SECRET_LENGTH} characters.`);
      if (raw.length < MIN_SECRET_LENGTH) throw new ConfigError(`${name} is too short (${raw.length} characters): a secret needs at least ${MIN_SECRET_LENGTH}.`);
      if (production && raw === developmentDefault) {
        throw new ConfigError(`${name} is the documented development default, which anyone can read: production (NODE_ENV=production) needs a secret of its own.`);
      }
      return raw;
    },
    warning(raw, env) {
      if (raw !== undefined && raw !== developmentDefault) return undefined;
      const mode = env.NODE_ENV || 'development';
      return `${name} is the development default: this process runs in ${mode} mode with development secrets, which anyone can read; never expose it.`;
    },
  };
}

/**
 * A bearer token that protects an endpoint (e.g. METRICS_TOKEN). Unlike `secret` it has no
 * development default: unset means "nothing asked" outside production. The rules:
 * - unset: '' (no token) in development; REFUSED in production while `requiredWhen(env)` holds;
 * - set but empty, or shorter than MIN_SECRET_LENGTH characters: refused in every mode.
 */
export function bearerToken(name: string, description: string, requiredWhen: (env: Env) => boolean): Variable<string> {
  return {
    name,
    description,
    defaultText: '',
    parse(raw, env = {}) {
      if (raw === undefined) {
        if (isProduction(env) && requiredWhen(env)) {
          throw new ConfigError(`${name} is not set: production (NODE_ENV=production) needs a token of its own, of at least ${MIN_SECRET_LENGTH} characters.`);
        }
        return '';
      }
      if (raw === '') throw new ConfigError(`${name} is set but empty: unset it in development, or give it at least ${MIN_SECRET_LENGTH} characters.`);
      if (raw.length < MIN_SECRET_LENGTH) throw new ConfigError(`${name} is too short (${raw.length} characters): a token needs at least ${MIN_SECRET_LENGTH}.`);
      return raw;
    },
  };
}

/** The start-up warnings of a spec's values (development secrets in use…), to log once the process runs. */
export function configWarnings(spec: Spec, env: Env = process.env): string[] {
  return Object.values(spec).flatMap((variable) => {
    const warning = variable.warning?.(env[variable.name], env);
    return warning ? [warning] : [];
  });
}

export type Spec = Record<string, Variable<unknown>>;
export type Parsed<S extends Spec> = { [K in keyof S]: S[K] extends Variable<infer T> ? T : never };

/** Parses every variable of a spec, reporting all invalid ones at once. */
export function readEnv<S extends Spec>(spec: S, env: Env = process.env): Parsed<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(spec)) {
    try {
      out[key] = variable.parse(env[variable.name], env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return out as Parsed<S>;
}
