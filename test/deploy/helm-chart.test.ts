import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { kafkaConnection, kafkaSection, loadConfig } from '#config';
import { loadAppContracts, scriptEnvNames, TEST_CREDENTIAL_KEY, type AppContract } from './env-contract.js';
import {
  helmVersion,
  lintChart,
  NAMESPACE,
  renderChart,
  renderChartError,
  validateK8s,
  type K8sObject,
} from './helm.js';

// Renders deploy/helm/journalwire with a real helm binary (see helm.ts), validates every object
// against the Kubernetes schemas and checks the chart against the apps' config schemas.

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number; scheme?: string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
  secret?: { secretName: string };
  configMap?: { name: string };
}
interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  securityContext?: { runAsNonRoot?: boolean };
  automountServiceAccountToken?: boolean;
}
interface Workload extends K8sObject {
  spec: {
    replicas: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}
interface Job extends K8sObject {
  spec: { template: { spec: PodSpec & { restartPolicy: string } } };
}
interface Service extends K8sObject {
  spec: {
    clusterIP?: string;
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string | number }[];
  };
}

const APP_NAMES = ['poller', 'envelope', 'policy', 'status'];
const SECRET_KEYS = ['DATABASE_URL', 'REDIS_URL', 'CREDENTIAL_KEY', 'CREDENTIAL_KEYS_PREVIOUS'];

let apps: Map<string, AppContract>;
let base: K8sObject[];

const ofKind = <T extends K8sObject>(objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind) as T[];
const named = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found as T;
};
const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as Workload[];
const workloadOf = (objects: K8sObject[], app: string) => {
  const found = workloads(objects).find((w) => w.metadata.labels?.['app.kubernetes.io/component'] === app);
  if (!found) throw new Error(`no workload for ${app}`);
  return found;
};
const containerOf = (w: { spec: { template: { spec: PodSpec } } }) => w.spec.template.spec.containers[0] as Container;

function secretValues(objects: K8sObject[]): Map<string, Map<string, string>> {
  const secrets = new Map<string, Map<string, string>>();
  for (const secret of ofKind<K8sObject & { stringData?: Record<string, string>; data?: Record<string, string> }>(
    objects,
    'Secret',
  )) {
    const values = new Map(Object.entries(secret.stringData ?? {}));
    for (const [key, value] of Object.entries(secret.data ?? {}))
      values.set(key, Buffer.from(value, 'base64').toString());
    secrets.set(secret.metadata.name, values);
  }
  return secrets;
}

/**
 * The environment a container would see: its ConfigMaps (envFrom) and env entries, with Secret
 * references resolved from the rendered Secrets or, for Secrets the chart does not render
 * (existingSecret), from `external`.
 */
function containerEnv(
  objects: K8sObject[],
  container: Container,
  external: Record<string, string> = {},
): Map<string, string> {
  const env = new Map<string, string>();
  const secrets = secretValues(objects);
  for (const source of container.envFrom ?? []) {
    expect(source.secretRef, 'secrets are mounted key by key (secretKeyRef), never as a whole').toBeUndefined();
    const configMap = named<K8sObject & { data?: Record<string, string> }>(
      objects,
      'ConfigMap',
      source.configMapRef?.name ?? '',
    );
    for (const [key, value] of Object.entries(configMap.data ?? {})) env.set(key, value);
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secrets.get(ref.name)?.get(ref.key) ?? external[ref.key];
      if (value === undefined && !ref.optional)
        throw new Error(`${container.name}: secret ${ref.name} has no key ${ref.key}`);
      if (value !== undefined) env.set(entry.name, value);
    } else if (entry.valueFrom?.fieldRef) {
      env.set(entry.name, `field-${entry.valueFrom.fieldRef.fieldPath}`);
    } else {
      env.set(entry.name, entry.value ?? '');
    }
  }
  return env;
}

/** Every app's env names are in its schema, and its real config loader accepts the env. */
function checkAppEnv(
  objects: K8sObject[],
  external: Record<string, string> = {},
  rewrite: Record<string, string> = {},
) {
  for (const workload of workloads(objects)) {
    const container = containerOf(workload);
    const app = apps.get(container.args?.[0] ?? '');
    expect(app, `${workload.metadata.name} runs an app of apps/`).toBeDefined();
    const env = containerEnv(objects, container, external);
    const unknown = [...env.keys()].filter((name) => !app?.names.has(name));
    expect(unknown, `variables given to ${app?.name} that apps/${app?.name}/src/config.ts does not read`).toEqual([]);
    for (const [name, value] of Object.entries(rewrite)) if (env.has(name)) env.set(name, value);
    expect(() => app?.load(Object.fromEntries(env)), `${app?.name} config loads`).not.toThrow();
  }
}

describe('helm chart deploy/helm/journalwire', () => {
  beforeAll(async () => {
    apps = await loadAppContracts();
    base = renderChart();
  });

  it('lints strictly with a real helm', () => {
    expect(helmVersion()).toMatch(/^v\d+\./);
    expect(lintChart()).toMatch(/0 chart\(s\) failed/);
  });

  it('renders only objects that are valid against the Kubernetes schemas', () => {
    expect(base.length).toBeGreaterThan(10);
    for (const object of base) {
      expect(() => validateK8s(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
      expect(object.metadata.name.length, object.metadata.name).toBeLessThanOrEqual(63);
      expect(object.metadata.labels?.['app.kubernetes.io/instance']).toBe('jw');
    }
    const inventory = base.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(inventory).toEqual(
      [
        'ConfigMap/jw-journalwire-envelope',
        'ConfigMap/jw-journalwire-policy',
        'ConfigMap/jw-journalwire-poller',
        'ConfigMap/jw-journalwire-status',
        'StatefulSet/jw-journalwire-envelope',
        'StatefulSet/jw-journalwire-policy',
        'Deployment/jw-journalwire-poller',
        'Deployment/jw-journalwire-status',
        'Job/jw-journalwire-migrate',
        'Job/jw-journalwire-topics',
        'PersistentVolumeClaim/jw-journalwire-blobs',
        'Secret/jw-journalwire',
        'Secret/jw-journalwire-hooks',
        'Service/jw-journalwire-envelope-headless',
        'Service/jw-journalwire-envelope-metrics',
        'Service/jw-journalwire-policy-headless',
        'Service/jw-journalwire-policy-metrics',
        'Service/jw-journalwire-poller-metrics',
        'Service/jw-journalwire-status',
        'Service/jw-journalwire-status-metrics',
      ].sort(),
    );
  });

  it('deploys every app of apps/ and gives it exactly variables its config schema reads', () => {
    expect([...apps.keys()].sort()).toEqual([...APP_NAMES].sort());
    expect(
      workloads(base)
        .map((w) => containerOf(w).args?.[0])
        .sort(),
    ).toEqual([...APP_NAMES].sort());
    checkAppEnv(base);
  });

  it('listens where the code does: HTTP_PORT/GRPC_PORT are the schema defaults, on 0.0.0.0', () => {
    for (const name of APP_NAMES) {
      const app = apps.get(name) as AppContract;
      const container = containerOf(workloadOf(base, name));
      const env = containerEnv(base, container);
      expect(env.get('HTTP_PORT'), name).toBe(String(app.defaultOf('HTTP_PORT')));
      expect(env.get('HTTP_HOST'), name).toBe('0.0.0.0');
      const http = container.ports?.find((p) => p.name === 'http');
      expect(http?.containerPort, name).toBe(Number(env.get('HTTP_PORT')));
      if (app.names.has('GRPC_PORT')) {
        expect(env.get('GRPC_PORT')).toBe(String(app.defaultOf('GRPC_PORT')));
        expect(env.get('GRPC_HOST')).toBe('0.0.0.0');
        expect(container.ports?.find((p) => p.name === 'grpc')?.containerPort).toBe(Number(env.get('GRPC_PORT')));
      }
    }
  });

  it('probes /health/live and /health/ready on the HTTP port and sets resources and a non-root context', () => {
    for (const workload of workloads(base)) {
      const pod = workload.spec.template.spec;
      const container = containerOf(workload);
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.startupProbe?.httpGet?.path).toBe('/health/live');
      expect(container.resources?.requests?.cpu).toBeTruthy();
      expect(container.resources?.limits?.memory).toBeTruthy();
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(container.image).toBe('journalwire:0.1.0');
      expect(workload.spec.template.metadata.annotations?.['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
      expect(workload.spec.selector.matchLabels).toEqual(
        expect.objectContaining({ 'app.kubernetes.io/component': containerOf(workload).name }),
      );
    }
  });

  it('exposes status over HTTP and gRPC and every app on a metrics Service', () => {
    const status = named<Service>(base, 'Service', 'jw-journalwire-status');
    expect(status.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 3000, 'http'],
      ['grpc', 50051, 'grpc'],
    ]);
    expect(status.spec.selector).toEqual(workloadOf(base, 'status').spec.selector.matchLabels);
    for (const name of APP_NAMES) {
      const service = named<Service>(base, 'Service', `jw-journalwire-${name}-metrics`);
      const workload = workloadOf(base, name);
      expect(service.spec.selector).toEqual(workload.spec.selector.matchLabels);
      expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'metrics', targetPort: 'http' })]);
      expect(service.metadata.labels?.['journalwire.io/metrics']).toBe('true');
      expect(service.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/path': '/metrics',
        'prometheus.io/port': String(containerOf(workload).ports?.[0]?.containerPort),
      });
    }
  });

  it('serves status over TLS from a kubernetes.io/tls Secret when apps.status.tls.secretName is set', () => {
    const objects = renderChart({ apps: { status: { tls: { secretName: 'status-tls' } } } });
    const status = workloadOf(objects, 'status');
    const container = containerOf(status);
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'SERVER_TLS_CERT_FILE', value: '/etc/journalwire/status-tls/tls.crt' },
        { name: 'SERVER_TLS_KEY_FILE', value: '/etc/journalwire/status-tls/tls.key' },
      ]),
    );
    expect(container.volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'server-tls', mountPath: '/etc/journalwire/status-tls', readOnly: true }]),
    );
    expect(status.spec.template.spec.volumes).toEqual(
      expect.arrayContaining([{ name: 'server-tls', secret: { secretName: 'status-tls' } }]),
    );
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe])
      expect(probe?.httpGet?.scheme).toBe('HTTPS');
    expect(containerOf(workloadOf(objects, 'poller')).livenessProbe?.httpGet?.scheme).toBeUndefined();
  });

  it('runs migrate and topics as pre-install/pre-upgrade hook Jobs that read only what the commands read', () => {
    const hookSecret = named<K8sObject>(base, 'Secret', 'jw-journalwire-hooks');
    for (const name of ['migrate', 'topics']) {
      const job = named<Job>(base, 'Job', `jw-journalwire-${name}`);
      expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(Number(job.metadata.annotations?.['helm.sh/hook-weight'])).toBeGreaterThan(
        Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight']),
      );
      const pod = job.spec.template.spec;
      const container = pod.containers[0] as Container;
      expect(container.args).toEqual([name]);
      expect(pod.restartPolicy).toBe('Never');
      const allowed = scriptEnvNames(name);
      const env = containerEnv(base, container);
      expect(
        [...env.keys()].filter((k) => !allowed.has(k)),
        `variables scripts/${name}.ts does not read`,
      ).toEqual([]);
      for (const ref of (container.env ?? []).flatMap((e) =>
        e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [],
      )) {
        // at pre-install only hook objects exist yet
        expect(ref).toBe('jw-journalwire-hooks');
      }
    }
    expect(hookSecret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const migrateEnv = containerEnv(
      base,
      named<Job>(base, 'Job', 'jw-journalwire-migrate').spec.template.spec.containers[0] as Container,
    );
    expect(migrateEnv.get('DATABASE_URL')).toMatch(/^postgres:\/\//);
    const topicsEnv = containerEnv(
      base,
      named<Job>(base, 'Job', 'jw-journalwire-topics').spec.template.spec.containers[0] as Container,
    );
    expect(topicsEnv.get('TOPIC_PARTITIONS')).toBe('6');
    expect(topicsEnv.get('KAFKA_BROKERS')).toBe('kafka-0.kafka.data.svc:9092,kafka-1.kafka.data.svc:9092');
  });

  it('shares one ReadWriteMany claim at BLOB_DIR between exactly the apps that read BLOB_DIR', () => {
    const claim = named<K8sObject & { spec: { accessModes: string[] } }>(
      base,
      'PersistentVolumeClaim',
      'jw-journalwire-blobs',
    );
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(claim.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    for (const name of APP_NAMES) {
      const workload = workloadOf(base, name);
      const container = containerOf(workload);
      const blobDir = containerEnv(base, container).get('BLOB_DIR');
      const mount = container.volumeMounts?.find((m) => m.name === 'blobs');
      const volume = workload.spec.template.spec.volumes?.find((v) => v.name === 'blobs');
      if (apps.get(name)?.names.has('BLOB_DIR')) {
        expect(blobDir, name).toBe('/var/lib/journalwire/blobs');
        expect(mount?.mountPath, name).toBe(blobDir);
        expect(volume?.persistentVolumeClaim?.claimName, name).toBe('jw-journalwire-blobs');
      } else {
        expect(mount, name).toBeUndefined();
        expect(blobDir, name).toBeUndefined();
      }
    }
  });

  it('keeps secret material in Secrets only and gives each app only the secret keys it reads', () => {
    const secretValuesSeen = [...secretValues(base).values()]
      .flatMap((values) => [...values.values()])
      .filter((v) => v.length >= 8);
    expect(secretValuesSeen).toEqual(
      expect.arrayContaining(['postgres://journalwire:db-password-123@postgres.data.svc:5432/journalwire']),
    );
    for (const object of base.filter((o) => o.kind !== 'Secret')) {
      const text = JSON.stringify(object);
      for (const secret of [...secretValuesSeen, 'db-password-123', 'redis-password-456']) {
        expect(text.includes(secret), `${object.kind} ${object.metadata.name} contains secret material`).toBe(false);
      }
    }
    for (const configMap of ofKind<K8sObject & { data: Record<string, string> }>(base, 'ConfigMap')) {
      expect(
        Object.keys(configMap.data).filter((k) => SECRET_KEYS.includes(k)),
        configMap.metadata.name,
      ).toEqual([]);
    }
    for (const workload of workloads(base)) {
      const container = containerOf(workload);
      for (const entry of container.env ?? []) {
        if (SECRET_KEYS.includes(entry.name))
          expect(entry.valueFrom?.secretKeyRef?.name, entry.name).toBe('jw-journalwire');
      }
      const secretNames = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
      expect(
        secretNames.filter((n) => !apps.get(container.name)?.names.has(n)),
        container.name,
      ).toEqual([]);
    }
    expect(containerEnv(base, containerOf(workloadOf(base, 'envelope'))).has('CREDENTIAL_KEY')).toBe(false);
  });

  describe('with overrides', () => {
    it('scales pollers, drops the blob claim, uses an existing Secret and Deployments only', () => {
      const objects = renderChart({
        apps: {
          poller: { replicas: 3 },
          envelope: { replicas: 6, workload: 'Deployment' },
          policy: { workload: 'Deployment' },
        },
        blob: { persistence: { enabled: false } },
        existingSecret: 'journalwire-prod',
        metrics: { enabled: false },
      });
      for (const object of objects)
        expect(() => validateK8s(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
      expect(workloadOf(objects, 'poller').spec.replicas).toBe(3);
      expect(workloadOf(objects, 'envelope').spec.replicas).toBe(6);
      expect(workloads(objects).map((w) => w.kind)).toEqual(['Deployment', 'Deployment', 'Deployment', 'Deployment']);
      expect(ofKind(objects, 'PersistentVolumeClaim')).toEqual([]);
      expect(ofKind(objects, 'Secret')).toEqual([]);
      expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual([
        'jw-journalwire-status',
      ]);
      for (const name of ['poller', 'envelope', 'policy']) {
        expect(workloadOf(objects, name).spec.template.spec.volumes?.find((v) => v.name === 'blobs')).toEqual({
          name: 'blobs',
          emptyDir: {},
        });
      }
      const refs = workloads(objects).flatMap((w) =>
        (containerOf(w).env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
      );
      expect(new Set(refs)).toEqual(new Set(['journalwire-prod']));
      const migrate = named<Job>(objects, 'Job', 'jw-journalwire-migrate').spec.template.spec
        .containers[0] as Container;
      expect(migrate.env?.[0]?.valueFrom?.secretKeyRef).toEqual({ name: 'journalwire-prod', key: 'DATABASE_URL' });
      checkAppEnv(objects, {
        DATABASE_URL: 'postgres://u:p@db:5432/jw',
        REDIS_URL: 'redis://redis:6379',
        CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      });
    });

    it('mounts a POP3 CA and an existing claim, scales the StatefulSets, exports traces and adds variables', () => {
      const objects = renderChart({
        pop3Ca: { secretName: 'journal-ca' },
        tracing: { exporter: 'otlp', otlpEndpoint: 'http://otel-collector.monitoring:4318' },
        blob: { persistence: { existingClaim: 'shared-nfs' } },
        apps: {
          envelope: { workload: 'StatefulSet', replicas: 2, env: { DIRECTORY_REFRESH_MS: 5000 } },
          poller: { env: { LEASE_TTL_MS: '60000' } },
        },
        jobs: { topics: { env: { KAFKA_CLIENT_ID: 'jw-topics' } } },
      });
      for (const object of objects)
        expect(() => validateK8s(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
      expect(ofKind(objects, 'PersistentVolumeClaim')).toEqual([]);
      expect(
        workloadOf(objects, 'poller').spec.template.spec.volumes?.find((v) => v.name === 'blobs')?.persistentVolumeClaim
          ?.claimName,
      ).toBe('shared-nfs');
      const envelope = workloadOf(objects, 'envelope');
      expect(envelope.kind).toBe('StatefulSet');
      expect(envelope.spec.replicas).toBe(2);
      const headless = named<Service>(objects, 'Service', envelope.spec.serviceName ?? '');
      expect(headless.spec.clusterIP).toBe('None');
      expect(headless.spec.selector).toEqual(envelope.spec.selector.matchLabels);
      expect(containerEnv(objects, containerOf(envelope)).get('DIRECTORY_REFRESH_MS')).toBe('5000');
      for (const workload of workloads(objects)) {
        expect(containerEnv(objects, containerOf(workload)).get('OTEL_EXPORTER_OTLP_ENDPOINT')).toBe(
          'http://otel-collector.monitoring:4318',
        );
      }
      expect(containerEnv(objects, containerOf(workloadOf(objects, 'poller'))).get('LEASE_TTL_MS')).toBe('60000');
      for (const name of ['poller', 'status']) {
        const workload = workloadOf(objects, name);
        expect(containerEnv(objects, containerOf(workload)).get('POP3_CA_FILE'), name).toBe(
          '/etc/journalwire/pop3-ca/ca.pem',
        );
        expect(workload.spec.template.spec.volumes?.find((v) => v.name === 'pop3-ca')?.secret?.secretName).toBe(
          'journal-ca',
        );
      }
      const caFile = join(mkdtempSync(join(tmpdir(), 'jw-ca-')), 'ca.pem');
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
      checkAppEnv(objects, {}, { POP3_CA_FILE: caFile });
    });

    it('connects every Kafka client over TLS with SASL, the CA and client certificate from a Secret', () => {
      const objects = renderChart({
        kafka: {
          tls: { enabled: true, secretName: 'kafka-client-tls', certKey: 'tls.crt', keyKey: 'tls.key' },
          sasl: { mechanism: 'scram-sha-512', username: 'journalwire', password: 'kafka-s3cret' },
        },
      });
      for (const object of objects)
        expect(() => validateK8s(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
      const dir = mkdtempSync(join(tmpdir(), 'jw-kafka-tls-'));
      for (const file of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(dir, file), 'PEM');
      const rewrite = Object.fromEntries(
        ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'].map((name, i) => [
          name,
          join(dir, ['ca.crt', 'tls.crt', 'tls.key'][i]!),
        ]),
      );
      const topics = named<Job>(objects, 'Job', 'jw-journalwire-topics');
      const clients = [
        ...workloads(objects).map((w) => ({ name: w.metadata.name, pod: w.spec.template.spec })),
        { name: 'topics', pod: topics.spec.template.spec },
      ];
      for (const { name, pod } of clients) {
        const env = containerEnv(objects, pod.containers[0] as Container);
        expect(
          Object.fromEntries([...env].filter(([k]) => k.startsWith('KAFKA_') && k !== 'KAFKA_BROKERS')),
          name,
        ).toEqual({
          KAFKA_CLIENT_ID: 'journalwire',
          KAFKA_SSL: 'true',
          KAFKA_SSL_CA_FILE: '/etc/journalwire/kafka-tls/ca.crt',
          KAFKA_SSL_CERT_FILE: '/etc/journalwire/kafka-tls/tls.crt',
          KAFKA_SSL_KEY_FILE: '/etc/journalwire/kafka-tls/tls.key',
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: 'journalwire',
          KAFKA_SASL_PASSWORD: 'kafka-s3cret',
        });
        expect(pod.volumes?.find((v) => v.name === 'kafka-tls')?.secret?.secretName, name).toBe('kafka-client-tls');
        expect(
          (pod.containers[0] as Container).volumeMounts?.find((m) => m.name === 'kafka-tls'),
          name,
        ).toEqual({
          name: 'kafka-tls',
          mountPath: '/etc/journalwire/kafka-tls',
          readOnly: true,
        });
        for (const [variable, file] of Object.entries(rewrite)) env.set(variable, file);
        const settings = kafkaConnection(loadConfig(z.object(kafkaSection), Object.fromEntries(env)), 'helm');
        expect(settings.sasl).toEqual({
          mechanism: 'scram-sha-512',
          username: 'journalwire',
          password: 'kafka-s3cret',
        });
        expect(settings.tls).toEqual({ ca: 'PEM', cert: 'PEM', key: 'PEM' });
      }
      checkAppEnv(objects, {}, rewrite);
    });

    it('refuses Kafka security settings that cannot work', () => {
      expect(renderChartError({ kafka: { sasl: { mechanism: 'gssapi' } } })).toMatch(
        /kafka\.sasl\.mechanism must be none, scram-sha-512, scram-sha-256 or plain/,
      );
      expect(renderChartError({ kafka: { sasl: { mechanism: 'scram-sha-512', password: 'x' } } })).toMatch(
        /kafka\.sasl\.username is required/,
      );
      expect(renderChartError({ kafka: { sasl: { mechanism: 'scram-sha-512', username: 'u' } } })).toMatch(
        /kafka\.sasl\.password is required/,
      );
      expect(renderChartError({ kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'x' } } })).toMatch(
        /kafka\.sasl\.mechanism plain needs kafka\.tls\.enabled/,
      );
    });

    it('refuses values that cannot work', () => {
      expect(renderChartError({ apps: { envelope: { replicas: 7 } } })).toMatch(
        /apps\.envelope\.replicas \(7\) exceeds kafka\.topicPartitions \(6\)/,
      );
      expect(renderChartError({ kafka: { brokers: [] } })).toMatch(/kafka\.brokers is required/);
      expect(renderChartError({ credentials: { key: 'dG9vIHNob3J0' } })).toMatch(
        /credentials\.key must be 32 random bytes/,
      );
      expect(renderChartError({ database: { url: '' } })).toMatch(/database\.url is required/);
      expect(renderChartError({ apps: { poller: { workload: 'DaemonSet' } } })).toMatch(
        /must be Deployment or StatefulSet/,
      );
    });
  });

  it('renders into the release namespace without hard-coding one', () => {
    for (const object of base)
      expect((object.metadata as { namespace?: string }).namespace ?? NAMESPACE).toBe(NAMESPACE);
  });
});
