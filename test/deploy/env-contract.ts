import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as configLib from '#config';

/**
 * The environment contract of the code, read from the source so the deploy files cannot drift:
 * each app's zod config schema (apps/NAME/src/config.ts, imported) and the variables each
 * command in scripts/ reads (its sections and own keys, parsed).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}

export interface ConfigSchema {
  shape: Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }>;
}

export interface AppContract {
  name: string;
  schema: ConfigSchema;
  /** Every variable the app reads. */
  names: Set<string>;
  /** The schema's default of a variable (undefined when it has none). */
  defaultOf(name: string): unknown;
  /** Runs the app's real config loader on `env`; throws its error (names what is wrong). */
  load(env: Record<string, string>): Record<string, unknown>;
}

function isSchema(value: unknown): value is ConfigSchema & Parameters<typeof configLib.loadConfig>[0] {
  return typeof value === 'object' && value !== null && 'shape' in value && 'safeParse' in value;
}

/** Every app under apps/ with a src/config.ts exporting a `...ConfigSchema`. */
export async function loadAppContracts(): Promise<Map<string, AppContract>> {
  const apps = new Map<string, AppContract>();
  for (const name of readdirSync(repoPath('apps')).sort()) {
    const file = repoPath('apps', name, 'src/config.ts');
    if (!existsSync(file)) continue;
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const schema = Object.entries(module).find(([key, value]) => key.endsWith('ConfigSchema') && isSchema(value))?.[1];
    if (!isSchema(schema)) throw new Error(`${file} exports no ...ConfigSchema`);
    apps.set(name, {
      name,
      schema,
      names: new Set(Object.keys(schema.shape)),
      defaultOf(variable) {
        const field = schema.shape[variable];
        const parsed = field?.safeParse(undefined);
        return parsed?.success ? parsed.data : undefined;
      },
      load: (env) => configLib.loadConfig(schema, env) as Record<string, unknown>,
    });
  }
  return apps;
}

/** Variables read by scripts/NAME.ts: the #config sections it uses plus its own UPPER_CASE keys. */
export function scriptEnvNames(script: string): Set<string> {
  const text = readFileSync(repoPath('scripts', `${script}.ts`), 'utf8');
  const names = new Set<string>();
  const sections = configLib as unknown as Record<string, unknown>;
  for (const [, section] of text.matchAll(/\b([a-z]\w*Section)\b/g)) {
    const value = sections[section as string];
    const shape = typeof value === 'function' ? (value as (port: number) => object)(1) : value;
    if (typeof shape !== 'object' || shape === null)
      throw new Error(`scripts/${script}.ts uses unknown config section ${section}`);
    for (const key of Object.keys(shape)) names.add(key);
  }
  for (const [, key] of text.matchAll(/\b([A-Z][A-Z0-9_]{2,})\s*:/g)) names.add(key as string);
  return names;
}

/** Compose-style interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      name: string | undefined,
      colon: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === '$$') return '$';
      if (bare) return env[bare] ?? '';
      const value = env[name as string];
      const missing = colon ? value === undefined || value === '' : value === undefined;
      if (op === '-') return missing ? (arg ?? '') : (value as string);
      if (op === '?') {
        if (missing) throw new Error(`required variable ${name} is missing: ${arg}`);
        return value as string;
      }
      return value ?? '';
    },
  );
}

/** `export NAME="${NAME:-default}"` lines of deploy/local/env.sh: NAME -> default. */
export function localEnvDefaults(): Map<string, string> {
  const text = readFileSync(repoPath('deploy/local/env.sh'), 'utf8');
  const defaults = new Map<string, string>();
  for (const [, name, value] of text.matchAll(/^export (\w+)="\$\{\1:-([^}]*)\}"/gm))
    defaults.set(name as string, value as string);
  return defaults;
}

/** A valid CREDENTIAL_KEY for loader runs. */
export const TEST_CREDENTIAL_KEY = Buffer.alloc(32, 7).toString('base64');
