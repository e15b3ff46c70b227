import { existsSync, readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  interpolate,
  loadAppContracts,
  localEnvDefaults,
  repoPath,
  scriptEnvNames,
  TEST_CREDENTIAL_KEY,
  type AppContract,
} from './env-contract.js';

// Static checks of deploy/docker-compose.yml and deploy/docker/Dockerfile (no Docker engine
// needed): structure, references, and every variable against the code's config schemas.

type Condition = { condition: string };
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, Condition>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const ONE_SHOT = ['migrate', 'topics'];
const COMPOSE_FILE = repoPath('deploy/docker-compose.yml');

/** The compose file as Compose sees it: YAML merge keys applied, then variables interpolated. */
function loadCompose(env: Record<string, string | undefined>): Compose {
  const raw = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as unknown;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return interpolate(value, env);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(raw) as Compose;
}

function environment(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );
}

describe('deploy/docker-compose.yml', () => {
  let apps: Map<string, AppContract>;
  let compose: Compose;

  beforeAll(async () => {
    apps = await loadAppContracts();
    compose = loadCompose({ CREDENTIAL_KEY: TEST_CREDENTIAL_KEY });
  });

  it('parses and references only services and volumes it defines', () => {
    const services = Object.keys(compose.services);
    expect(services.sort()).toEqual([
      'envelope',
      'kafka',
      'migrate',
      'policy',
      'poller',
      'postgres',
      'redis',
      'status',
      'topics',
    ]);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(service.depends_on ?? {}))
        expect(services, `${name} depends on ${dependency}`).toContain(dependency);
      for (const mount of service.volumes ?? []) {
        const source = mount.split(':')[0] as string;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes ?? {}), `${name} mounts ${source}`).toContain(source);
      }
      if (service.build) {
        expect(existsSync(repoPath('deploy', service.build.context, service.build.dockerfile)), `${name} build`).toBe(
          true,
        );
      }
    }
  });

  it('requires CREDENTIAL_KEY from the environment or deploy/.env', () => {
    expect(() => loadCompose({})).toThrow(/CREDENTIAL_KEY/);
  });

  it('runs Kafka 4 in KRaft mode without topic auto-creation, PostgreSQL 15 and Redis 7, with health checks', () => {
    const { kafka, postgres, redis } = compose.services as Record<string, ComposeService>;
    expect(kafka?.image).toBe('apache/kafka:4.1.1');
    const kafkaEnv = environment(kafka as ComposeService);
    expect(kafkaEnv.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafkaEnv.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(kafkaEnv.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${kafkaEnv.KAFKA_NODE_ID}@kafka:9093`);
    expect(kafkaEnv.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(Buffer.from(kafkaEnv.CLUSTER_ID ?? '', 'base64url')).toHaveLength(16);
    expect(Object.keys(kafkaEnv).some((k) => k.includes('ZOOKEEPER'))).toBe(false);
    expect(postgres?.image).toMatch(/^postgres:15(\b|$)/);
    expect(redis?.image).toMatch(/^redis:7(\b|$)/);
    for (const name of ['kafka', 'postgres', 'redis'])
      expect(compose.services[name]?.healthcheck?.test.length, name).toBeGreaterThan(0);
  });

  it('publishes the host ports of deploy/local/env.sh', () => {
    const defaults = localEnvDefaults();
    const published = (service: string) =>
      (compose.services[service]?.ports ?? []).map((p) => p.split(':').slice(-2, -1)[0]);
    expect(published('kafka')).toContain(defaults.get('KAFKA_PORT'));
    expect(published('postgres')).toContain(defaults.get('PGPORT'));
    expect(published('redis')).toContain(defaults.get('REDIS_PORT'));
    const brokers = defaults.get('KAFKA_BROKERS')?.replace('$KAFKA_PORT', defaults.get('KAFKA_PORT') ?? '');
    expect(environment(compose.services.kafka as ComposeService).KAFKA_ADVERTISED_LISTENERS).toContain(`//${brokers}`);
  });

  it('runs every app of apps/ after migrate and topics succeeded, with a health check and its own port', () => {
    for (const name of apps.keys()) {
      const service = compose.services[name];
      expect(service, `compose service for apps/${name}`).toBeDefined();
      expect(service?.command).toEqual([name]);
      expect(service?.healthcheck?.test).toEqual([
        'CMD',
        'node',
        '/app/deploy/docker/healthcheck.mjs',
        '/health/ready',
      ]);
      for (const job of ONE_SHOT)
        expect(service?.depends_on?.[job], `${name} after ${job}`).toEqual({
          condition: 'service_completed_successfully',
        });
      const env = environment(service as ComposeService);
      expect(env.HTTP_PORT, name).toBe(String(apps.get(name)?.defaultOf('HTTP_PORT')));
      expect(env.HTTP_HOST).toBe('0.0.0.0');
      expect(
        service?.ports?.some((p) => p.endsWith(`:${env.HTTP_PORT}`)),
        `${name} publishes ${env.HTTP_PORT}`,
      ).toBe(true);
    }
    for (const job of ONE_SHOT) {
      expect(compose.services[job]?.command).toEqual([job]);
      expect(compose.services[job]?.restart).toBe('no');
    }
  });

  it('gives each app only variables its config schema reads, and its config loader accepts them', () => {
    for (const [name, app] of apps) {
      const env = environment(compose.services[name] as ComposeService);
      expect(
        Object.keys(env).filter((k) => !app.names.has(k)),
        `variables apps/${name}/src/config.ts does not read`,
      ).toEqual([]);
      expect(() => app.load(env), `${name} config loads`).not.toThrow();
    }
    for (const job of ONE_SHOT) {
      const allowed = scriptEnvNames(job);
      expect(
        Object.keys(environment(compose.services[job] as ComposeService)).filter((k) => !allowed.has(k)),
        `variables scripts/${job}.ts does not read`,
      ).toEqual([]);
    }
  });

  it('shares one blob volume at BLOB_DIR between exactly the apps that read BLOB_DIR', () => {
    const blobApps = [...apps.values()].filter((app) => app.names.has('BLOB_DIR')).map((app) => app.name);
    expect(blobApps.length).toBeGreaterThan(1);
    for (const name of apps.keys()) {
      const service = compose.services[name] as ComposeService;
      const dir = environment(service).BLOB_DIR;
      const mount = (service.volumes ?? []).find((v) => v.startsWith('blobs:'));
      if (blobApps.includes(name)) expect(mount, name).toBe(`blobs:${dir}`);
      else expect(mount, name).toBeUndefined();
    }
  });
});

describe('deploy/docker/Dockerfile', () => {
  const dockerfile = readFileSync(repoPath('deploy/docker/Dockerfile'), 'utf8');
  const ignore = readFileSync(repoPath('deploy/docker/Dockerfile.dockerignore'), 'utf8').split('\n');
  const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
  const instructions = (text: string, name: string) =>
    text
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((line) => line.startsWith(`${name} `))
      .map((line) => line.slice(name.length + 1).trim());

  it('builds on node:24, prunes dev dependencies and runs as a non-root user through the entrypoint', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[-\w.]*$/m);
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(instructions(runtime, 'USER')).toEqual(['10001:10001']);
    expect(instructions(runtime, 'ENTRYPOINT')).toEqual(['["journalwire"]']);
    const entrypoint = readFileSync(repoPath('deploy/docker/entrypoint.sh'), 'utf8');
    expect(entrypoint).toContain('dist/apps/$target/src/main.js');
    expect(entrypoint).toContain('dist/scripts/$target.js');
    expect(statSync(repoPath('deploy/docker/entrypoint.sh')).mode & 0o111).not.toBe(0);
  });

  it('copies only files that exist and that the build context lets through', () => {
    for (const copy of instructions(dockerfile, 'COPY').filter((c) => !c.includes('--from='))) {
      const sources = copy
        .split(/\s+/)
        .filter((part) => !part.startsWith('--'))
        .slice(0, -1);
      for (const source of sources.filter((s) => s !== '.')) {
        expect(existsSync(repoPath(source)), source).toBe(true);
        expect(ignore, `${source} is allow-listed in Dockerfile.dockerignore`).toContain(`!${source}`);
      }
    }
    expect(ignore).toContain('*');
    expect(ignore).toContain('!package-lock.json');
  });

  it('sets only runtime variables that the code reads', async () => {
    const apps = await loadAppContracts();
    const known = new Set(['NODE_ENV', 'NODE_OPTIONS', ...[...apps.values()].flatMap((a) => [...a.names])]);
    const names = instructions(runtime, 'ENV').flatMap((env) =>
      [...env.matchAll(/(?:^|\s)(\w+)=/g)].map((m) => m[1] as string),
    );
    expect(names).toContain('BLOB_DIR');
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });
});
