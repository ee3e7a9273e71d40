/**
 * deploy/k8s, checked without a cluster: `kubectl kustomize` renders it; every object is valid
 * against the Kubernetes OpenAPI schemas (`kubernetes-models`' validators, offline) and has no field
 * those schemas do not know (a typo such as `readinesProbe` would otherwise be silently ignored by
 * the API server's non-strict decoding); then the structure an operator relies on: probes, HPAs,
 * PDBs and Services that point at real Deployments, every variable a process needs, set to values
 * common/config.ts accepts in production, and no secret value committed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import * as config from '../../common/config.ts';
import { readEnv, type Spec } from '../../common/env.ts';

const root = resolve(import.meta.dirname, '../..');
const k8sDir = resolve(root, 'deploy/k8s');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!hasKubectl) console.warn('tests/deploy/k8s.test.ts: kubectl is not installed (.ci/run installs Debian\'s `kubectl`); the rendering checks are skipped.');

// ── The variables Passerelle reads, per process (common/config.ts) ──────────────────────────────
const specs = Object.entries(config).filter(([name]) => name.endsWith('Env')) as [string, Spec][];
const known = new Set(specs.flatMap(([, spec]) => Object.values(spec).map((variable) => variable.name)));
/** The spec each entry point reads. */
const specOfEntry: Record<string, Spec> = {
  'gateway/main.ts': config.gatewayEnv,
  'subgraphs/geo/main.ts': config.geoSubgraphEnv,
  'subgraphs/lycees/main.ts': config.lyceesSubgraphEnv,
  'subgraphs/requests/main.ts': config.requestsSubgraphEnv,
  'subgraphs/insights/main.ts': config.insightsSubgraphEnv,
  'legacy/geo/main.ts': config.geoApiEnv,
  'legacy/lycees/main.ts': config.lyceesApiEnv,
  'legacy/grc/main.ts': config.grcEnv,
  'legacy/opendata/main.ts': config.opendataApiEnv,
};
/** The variable holding each process's listening port. */
const portVariable: Record<string, string> = {
  'gateway/main.ts': 'PORT',
  'subgraphs/geo/main.ts': 'GEO_SUBGRAPH_PORT',
  'subgraphs/lycees/main.ts': 'LYCEES_SUBGRAPH_PORT',
  'subgraphs/requests/main.ts': 'REQUESTS_SUBGRAPH_PORT',
  'subgraphs/insights/main.ts': 'INSIGHTS_SUBGRAPH_PORT',
  'legacy/geo/main.ts': 'GEO_API_PORT',
  'legacy/lycees/main.ts': 'LYCEES_API_PORT',
  'legacy/grc/main.ts': 'GRC_ADMIN_PORT',
  'legacy/opendata/main.ts': 'OPENDATA_API_PORT',
};

/** `KEY=value` lines of a kustomize env file. */
function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) out[match[1]] = match[2];
  }
  return out;
}

// ── Rendering ─────────────────────────────────────────────────────────────────────────────────────
// Test values, 64 characters, in a copy of deploy/k8s: a developer's own secret.env is never read.
const testSecrets = {
  AUTH_SECRET: 'test-auth-secret-'.padEnd(64, 'a'),
  GATEWAY_SECRET: 'test-gateway-secret-'.padEnd(64, 'g'),
  METRICS_TOKEN: 'test-metrics-token-'.padEnd(64, 'm'),
  GRC_DATABASE_URL: 'postgres://postgres@grc:5433/postgres',
};
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}
// Typed loosely: the schemas below are what checks the shapes.
type Any = any;
let objects: K8sObject[] = [];
let workDir = '';

beforeAll(() => {
  if (!hasKubectl) return;
  workDir = mkdtempSync(join(tmpdir(), 'passerelle-k8s-'));
  cpSync(k8sDir, join(workDir, 'k8s'), { recursive: true, filter: (source) => !source.endsWith('/secret.env') });
  writeFileSync(join(workDir, 'k8s/secret.env'), Object.entries(testSecrets).map(([key, value]) => `${key}=${value}\n`).join(''));
  const rendered = spawnSync('kubectl', ['kustomize', join(workDir, 'k8s')], { encoding: 'utf8' });
  if (rendered.status !== 0) throw new Error(`kubectl kustomize deploy/k8s failed:\n${rendered.stderr}`);
  objects = parseAllDocuments(rendered.stdout).map((document) => document.toJS() as K8sObject).filter(Boolean);
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const ofKind = (kind: string) => objects.filter((object) => object.kind === kind) as Any[];
const named = (kind: string, name: string) => ofKind(kind).find((object) => object.metadata.name === name);
const deployments = () => ofKind('Deployment');
const entryOf = (deployment: Any): string => deployment.spec.template.spec.containers[0].command?.find((arg: string) => arg.endsWith('main.ts'));
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The environment a container starts with: its ConfigMaps and Secrets (envFrom, valueFrom) and its own values. */
function environmentOf(container: Any): Record<string, string> {
  const env: Record<string, string> = {};
  const decode = (name: string) => {
    const secret = named('Secret', name);
    if (!secret) throw new Error(`no Secret ${name}`);
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(String(value), 'base64').toString('utf8')]));
  };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, named('ConfigMap', source.configMapRef.name)?.data);
    if (source.secretRef) Object.assign(env, decode(source.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (variable.valueFrom?.secretKeyRef) env[variable.name] = decode(ref.name)[ref.key];
    if (variable.valueFrom?.configMapKeyRef) env[variable.name] = named('ConfigMap', ref.name)?.data?.[ref.key];
  }
  return env;
}

// ── Schemas: kubernetes-models (validators compiled from the Kubernetes OpenAPI spec) ─────────────
const require = createRequire(import.meta.url);
const modelsDir = dirname(require.resolve('kubernetes-models/package.json'));
const modulePath = (apiVersion: string) => `kubernetes-models/${apiVersion}`; // "apps/v1", "v1", "networking.k8s.io/v1"

/**
 * Field names the Kubernetes API knows, read from the type declarations kubernetes-models generates
 * from the same OpenAPI spec: `"name"?: Type;` lines of the file's first interface, each Type followed
 * through its import to the next declaration (maps and primitives end the walk).
 */
const declarations = new Map<string, Map<string, string | null> | null>();
function fieldsOf(file: string): Map<string, string | null> | null {
  if (declarations.has(file)) return declarations.get(file)!;
  let fields: Map<string, string | null> | null = null;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const imports = new Map<string, string>();
    for (const match of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
      const target = match[2].startsWith('.') ? resolve(dirname(file), match[2]) : join(dirname(require.resolve(`${match[2].split('/').slice(0, 2).join('/')}/package.json`)), match[2].split('/').slice(2).join('/'));
      imports.set(match[1], `${target}.d.ts`);
    }
    const body = /^export interface I\w+(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/m.exec(text)?.[1];
    if (body) {
      fields = new Map();
      for (const match of body.matchAll(/^ {4}"([^"]+)"\??: (.*);?$/gm)) {
        const type = match[2].replace(/;$/, '').replace(/^Array<(.*)>$/, '$1');
        fields.set(match[1], imports.get(type) ?? null);
      }
    }
  }
  declarations.set(file, fields);
  return fields;
}
function unknownFields(value: unknown, file: string | null, path: string, out: string[]): string[] {
  if (!file || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    value.forEach((item, index) => unknownFields(item, file, `${path}[${index}]`, out));
    return out;
  }
  const fields = fieldsOf(file);
  if (!fields) return out;
  for (const [key, child] of Object.entries(value)) {
    if (!fields.has(key)) out.push(`${path}.${key}`);
    else unknownFields(child, fields.get(key)!, `${path}.${key}`, out);
  }
  return out;
}

describe('deploy/k8s (kustomize, no cluster)', () => {
  it.skipIf(!hasKubectl)('renders with `kubectl kustomize` into the expected objects, all in one namespace', () => {
    const kinds = new Set(objects.map((object) => object.kind));
    for (const kind of ['Namespace', 'ConfigMap', 'Secret', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress']) {
      expect(kinds, kind).toContain(kind);
    }
    for (const object of objects) {
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('passerelle');
    }
    const names = deployments().map((deployment) => deployment.metadata.name).sort();
    expect(names).toEqual(['gateway', 'geo', 'geo-api', 'grc', 'insights', 'lycees', 'lycees-api', 'opendata-api', 'redis', 'requests']);
    expect(named('Deployment', 'gateway').spec.replicas).toBe(2);
    expect(named('Deployment', 'requests').spec.replicas).toBe(2);
    // The stand-ins say what they are, on the object itself.
    for (const name of ['geo-api', 'lycees-api', 'grc', 'opendata-api']) {
      expect(named('Deployment', name).metadata.labels['app.kubernetes.io/component']).toBe('legacy-stand-in');
    }
  });

  it.skipIf(!hasKubectl)('validates every object against the Kubernetes OpenAPI schemas, unknown fields refused', async () => {
    const problems: string[] = [];
    for (const object of objects) {
      const id = `${object.kind}/${object.metadata.name}`;
      const models = (await import(modulePath(object.apiVersion))) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = models[object.kind];
      if (!Model) {
        problems.push(`${id}: no schema for ${object.apiVersion} ${object.kind}`);
        continue;
      }
      try {
        // kustomize folds long base64 values over several lines; the API server's decoder (Go's
        // encoding/base64) skips the newlines, the schema's "byte" pattern does not: compare unfolded.
        const unfolded =
          object.kind === 'Secret'
            ? { ...object, data: Object.fromEntries(Object.entries((object as Any).data ?? {}).map(([key, value]) => [key, String(value).replace(/\s/g, '')])) }
            : object;
        new Model(unfolded).validate();
      } catch (error) {
        problems.push(`${id}: ${(error as Error).message}`);
      }
      const declaration = join(modelsDir, object.apiVersion, `${object.kind}.d.ts`);
      if (!fieldsOf(declaration)) problems.push(`${id}: no type declaration to check its fields against`);
      for (const path of unknownFields(object, declaration, id, [])) problems.push(`${path}: unknown field`);
    }
    expect(problems).toEqual([]);
    // The strict walk really knows the fields: a typo is caught.
    const typo = structuredClone(named('Deployment', 'gateway'));
    typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(unknownFields(typo, join(modelsDir, 'apps/v1/Deployment.d.ts'), 'Deployment/gateway', [])).toEqual([
      'Deployment/gateway.spec.template.spec.containers[0].readinesProbe',
    ]);
  });

  it.skipIf(!hasKubectl)('probes, resources and a locked-down security context on every Deployment; graceful termination', () => {
    for (const deployment of deployments()) {
      const name = deployment.metadata.name;
      const pod = deployment.spec.template.spec;
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels), `${name}: selector matches its pods`).toBe(true);
      expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
      expect(pod.securityContext?.runAsUser, name).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.readinessProbe, `${name}: readinessProbe`).toBeDefined();
        expect(container.livenessProbe, `${name}: livenessProbe`).toBeDefined();
        expect(container.resources?.requests?.cpu, `${name}: cpu request (the HPA needs it)`).toBeDefined();
        expect(container.resources?.requests?.memory, name).toBeDefined();
        expect(container.resources?.limits?.memory, name).toBeDefined();
        expect(container.securityContext?.allowPrivilegeEscalation, name).toBe(false);
        expect(container.securityContext?.readOnlyRootFilesystem, name).toBe(true);
        expect(container.securityContext?.capabilities?.drop, name).toContain('ALL');
        // Probes name a port the container declares.
        const ports = new Set((container.ports ?? []).flatMap((port: Any) => [port.name, port.containerPort]));
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe].filter(Boolean)) {
          if (probe.httpGet) expect(ports, `${name}: probe port ${probe.httpGet.port}`).toContain(probe.httpGet.port);
        }
      }
    }
    // Passerelle's own processes are probed on their health endpoints and stop gracefully: preStop
    // lets the Service and the Ingress forget the pod, then SIGTERM closes subscriptions with 1001.
    for (const name of ['gateway', 'geo', 'lycees', 'requests', 'insights']) {
      const pod = named('Deployment', name).spec.template.spec;
      const [container] = pod.containers;
      expect(container.readinessProbe.httpGet.path, name).toBe('/health');
      // Live: the process answers (gateway and subgraphs alike have /health/live).
      expect(container.livenessProbe.httpGet.path, name).toBe('/health/live');
      expect(container.lifecycle?.preStop, `${name}: preStop`).toBeDefined();
      const preStopSeconds = Number(container.lifecycle.preStop.exec?.command?.at(-1) ?? container.lifecycle.preStop.sleep?.seconds);
      expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThanOrEqual(preStopSeconds + 10);
      // Never fewer pods than wanted during a rolling update: a new one is ready before an old one stops.
      expect(named('Deployment', name).spec.strategy.rollingUpdate.maxUnavailable, name).toBe(0);
    }
    // The capture lease's holder is one of the requests replicas; Redis itself is one, never two at once.
    expect(named('Deployment', 'redis').spec.replicas).toBe(1);
    expect(named('Deployment', 'redis').spec.strategy.type).toBe('Recreate');
    expect(named('Deployment', 'grc').spec.strategy.type).toBe('Recreate');
  });

  it.skipIf(!hasKubectl)('HPAs (CPU) target the gateway and the subgraphs; PDBs and Services select real pods', () => {
    const scaled = ofKind('HorizontalPodAutoscaler');
    expect(scaled.map((hpa) => hpa.spec.scaleTargetRef.name).sort()).toEqual(['gateway', 'geo', 'insights', 'lycees', 'requests']);
    for (const hpa of scaled) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      const target = named(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
      expect(target, `HPA ${hpa.metadata.name} targets a Deployment that exists`).toBeDefined();
      expect(hpa.spec.metrics.some((metric: Any) => metric.resource?.name === 'cpu'), hpa.metadata.name).toBe(true);
      expect(hpa.spec.minReplicas, hpa.metadata.name).toBeLessThanOrEqual(target.spec.replicas);
    }
    expect(named('HorizontalPodAutoscaler', 'gateway').spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(named('HorizontalPodAutoscaler', 'requests').spec.minReplicas).toBeGreaterThanOrEqual(2);

    const pdbs = ofKind('PodDisruptionBudget');
    expect(pdbs.map((pdb) => pdb.metadata.name).sort()).toEqual(['gateway', 'geo', 'insights', 'lycees', 'requests']);
    for (const pdb of pdbs) {
      const selected = deployments().filter((deployment) => matches(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels));
      expect(selected.map((deployment) => deployment.metadata.name), `PDB ${pdb.metadata.name}`).toEqual([pdb.metadata.name]);
    }

    for (const service of ofKind('Service')) {
      const selected = deployments().filter((deployment) => matches(service.spec.selector, deployment.spec.template.metadata.labels));
      expect(selected.length, `Service ${service.metadata.name} selects a Deployment`).toBe(1);
      const container = selected[0].spec.template.spec.containers[0];
      for (const port of service.spec.ports) {
        const declared = (container.ports ?? []).some((p: Any) => p.name === port.targetPort || p.containerPort === port.targetPort);
        expect(declared, `Service ${service.metadata.name}: targetPort ${port.targetPort}`).toBe(true);
      }
    }
  });

  it.skipIf(!hasKubectl)('has an Ingress to the gateway with WebSocket-friendly timeouts', () => {
    const [ingress] = ofKind('Ingress');
    const annotations = ingress.metadata.annotations;
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend.name).toBe('gateway');
    expect(named('Service', 'gateway').spec.ports.some((port: Any) => port.name === backend.port.name)).toBe(true);
  });

  it.skipIf(!hasKubectl)('gives every process the variables it needs, with values common/config.ts accepts in production', () => {
    const services = new Set(ofKind('Service').map((service) => service.metadata.name));
    for (const deployment of deployments()) {
      const name = deployment.metadata.name;
      if (name === 'redis') continue;
      const [container] = deployment.spec.template.spec.containers;
      const entry = entryOf(deployment);
      const spec = specOfEntry[entry];
      expect(spec, `${name}: known entry point ${entry}`).toBeDefined();
      const env = environmentOf(container);
      // Every value parses (production rules included: secrets of their own, 32+ characters).
      expect(() => readEnv(spec, env), name).not.toThrow();
      // A default that points at the machine itself is wrong in a pod: each such variable is set.
      for (const variable of Object.values(spec)) {
        if (variable.defaultText.includes('127.0.0.1')) expect(env[variable.name], `${name}: ${variable.name} must be set`).toBeDefined();
      }
      expect(env.HOST, name).toBe('0.0.0.0');
      // The container listens where its Service and probes look.
      expect(container.ports.map((port: Any) => String(port.containerPort)), name).toContain(env[portVariable[entry]]);
      // Every URL names a Service of the manifests (the stand-ins' until replaced by the real systems).
      for (const [key, value] of Object.entries(env)) {
        if (!/_URLS?$/.test(key)) continue;
        for (const url of value.split(',').map((pair) => pair.replace(/^[a-z]+=/, ''))) {
          expect(services, `${name}: ${key} → ${url}`).toContain(new URL(url).hostname);
        }
      }
    }
    // Passerelle's own processes run in production mode; the replicated ones share Redis.
    for (const name of ['gateway', 'geo', 'lycees', 'requests', 'insights']) {
      expect(environmentOf(named('Deployment', name).spec.template.spec.containers[0]).NODE_ENV, name).toBe('production');
    }
    for (const name of ['gateway', 'requests']) {
      expect(environmentOf(named('Deployment', name).spec.template.spec.containers[0]).REDIS_URL, name).toBe('redis://redis:6379');
    }
    const gatewayEnv = environmentOf(named('Deployment', 'gateway').spec.template.spec.containers[0]);
    expect(Object.keys(readEnv(config.gatewayEnv, gatewayEnv).subgraphUrls).sort()).toEqual(['geo', 'insights', 'lycees', 'requests']);
  });

  it.skipIf(!hasKubectl)('sets only variables that common/config.ts declares (a renamed variable fails here)', () => {
    const unknown: string[] = [];
    for (const configMap of ofKind('ConfigMap')) for (const key of Object.keys(configMap.data ?? {})) if (!known.has(key)) unknown.push(`ConfigMap ${configMap.metadata.name}: ${key}`);
    for (const secret of ofKind('Secret')) for (const key of Object.keys(secret.data ?? {})) if (!known.has(key)) unknown.push(`Secret ${secret.metadata.name}: ${key}`);
    for (const deployment of deployments()) {
      if (deployment.metadata.name === 'redis') continue;
      for (const container of deployment.spec.template.spec.containers) {
        for (const variable of container.env ?? []) if (!known.has(variable.name)) unknown.push(`${deployment.metadata.name}: ${variable.name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('commits no secret value: secret.env is git-ignored and untracked, the example is empty, no Secret in YAML', () => {
    const tracked = spawnSync('git', ['ls-files', 'deploy/k8s'], { cwd: root, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(tracked).not.toContain('deploy/k8s/secret.env');
    expect(spawnSync('git', ['check-ignore', '-q', 'deploy/k8s/secret.env'], { cwd: root }).status).toBe(0);
    expect(readFileSync(resolve(root, '.dockerignore'), 'utf8')).toMatch(/^deploy\/k8s\/secret\.env$/m);
    const example = envFile(resolve(k8sDir, 'secret.env.example'));
    expect(Object.keys(example).sort()).toEqual(Object.keys(testSecrets).sort());
    expect(Object.values(example).every((value) => value === '')).toBe(true);
    // Every key the kustomization's secret must hold is one common/config.ts declares.
    for (const key of Object.keys(example)) expect(known, key).toContain(key);
    // Non-secret settings only in config.env: no secret, password or credential-bearing URL.
    const secretKeys = new Set(Object.keys(example));
    for (const file of ['config.env', 'stand-ins/config.env']) {
      for (const [key, value] of Object.entries(envFile(resolve(k8sDir, file)))) {
        expect(known, `${file}: ${key} is a variable of common/config.ts`).toContain(key);
        expect(secretKeys.has(key) || /SECRET|PASSWORD/.test(key), `${file}: ${key} belongs in secret.env`).toBe(false);
        expect(value, `${file}: ${key} carries a credential`).not.toMatch(/:\/\/[^/@]*:[^/@]*@/);
      }
    }
    for (const file of spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'deploy/k8s'], { cwd: root, encoding: 'utf8' }).stdout.split('\n')) {
      if (file.endsWith('.yaml')) expect(readFileSync(resolve(root, file), 'utf8'), file).not.toMatch(/^kind: Secret$/m);
    }
  });
});
