import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { repoPath } from './env-contract.js';

/**
 * Real Helm for the chart tests. Debian has no helm package; the npm package
 * @aws-cdk/asset-kubectl-v20 (a devDependency, no dependencies, no install script) ships the
 * official linux-amd64 helm v3.8.1 binary inside its tarball (lib/layer.zip: helm/helm). It is
 * extracted once into node_modules/.cache. HELM_BIN=/path/to/helm overrides it (e.g. Helm 4).
 */
export const CHART_DIR = repoPath('deploy/helm/journalwire');
export const CI_VALUES = join(CHART_DIR, 'ci/test-values.yaml');
export const RELEASE = 'jw';
export const NAMESPACE = 'journal';
const KUBE_VERSION = '1.30.0';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

let helmPath: string | undefined;
let helmHome: string | undefined;

export function helmBinary(): string {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  if (helmPath) return helmPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the packaged helm is linux-x64 only; set HELM_BIN to a helm binary for ${process.platform}-${process.arch}`,
    );
  }
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@aws-cdk/asset-kubectl-v20/package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const target = repoPath('node_modules/.cache/journalwire-helm', version, 'helm');
  if (!existsSync(target)) {
    const binary = extractZipEntry(join(dirname(packageJson), 'lib/layer.zip'), 'helm/helm');
    mkdirSync(dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, binary);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  }
  helmPath = target;
  return target;
}

/** One stored or deflated entry of a (non-zip64) zip file, checked against its size and CRC-32. */
function extractZipEntry(zipPath: string, entryName: string): Buffer {
  const zip = readFileSync(zipPath);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${zipPath}: not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${zipPath}: bad central directory`);
    const method = zip.readUInt16LE(offset + 10);
    const crc = zip.readUInt32LE(offset + 16);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    if (zip.toString('utf8', offset + 46, offset + 46 + nameLength) === entryName) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + compressedSize);
      if (method !== 0 && method !== 8) throw new Error(`${zipPath}: ${entryName} uses compression method ${method}`);
      const data = method === 8 ? inflateRawSync(raw) : raw;
      if (data.length !== size || crc32(data) !== crc) throw new Error(`${zipPath}: ${entryName} is corrupt`);
      return data;
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${zipPath}: no entry ${entryName}`);
}

function helm(args: string[]): string {
  helmHome ??= mkdtempSync(join(tmpdir(), 'jw-helm-'));
  return execFileSync(helmBinary(), args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: helmHome,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
  });
}

function valuesArgs(overrides: object[]): string[] {
  helmHome ??= mkdtempSync(join(tmpdir(), 'jw-helm-'));
  const args = ['-f', CI_VALUES];
  overrides.forEach((values, index) => {
    const file = join(helmHome as string, `values-${process.pid}-${Date.now()}-${index}.json`);
    writeFileSync(file, JSON.stringify(values));
    args.push('-f', file);
  });
  return args;
}

/** `helm template` with ci/test-values.yaml plus `overrides` (later wins); every object of the output. */
export function renderChart(...overrides: object[]): K8sObject[] {
  const out = helm([
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valuesArgs(overrides),
  ]);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(out)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

/** The error output of a `helm template` that must fail. */
export function renderChartError(...overrides: object[]): string {
  try {
    renderChart(...overrides);
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr ? stderr : String(error);
  }
  throw new Error('helm template succeeded but was expected to fail');
}

export function lintChart(...overrides: object[]): string {
  return helm(['lint', '--strict', CHART_DIR, ...valuesArgs(overrides)]);
}

export function helmVersion(): string {
  return helm(['version', '--short']).trim();
}

type Model = new (data: object) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = { v1: coreV1, 'apps/v1': appsV1, 'batch/v1': batchV1 };

/** Validates one object against the Kubernetes OpenAPI schema (kubernetes-models' validators). */
export function validateK8s(object: K8sObject): void {
  const model = MODELS[object.apiVersion]?.[object.kind] as Model | undefined;
  if (!model)
    throw new Error(`no schema for ${object.apiVersion} ${object.kind}: add its kubernetes-models module to MODELS`);
  new model(object).validate();
}
