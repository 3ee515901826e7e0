// A small repository written from a JS description, one YAML file per object, so that a test can
// make one small edit (a port, an endpoint, a rule) and write the repository again. The description
// is plain data: copy it with `structuredClone`, edit the copy, write it with `writeMeshRepo`.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface MeshProxy {
  readonly name: string;
  /** the REST port on 127.0.0.1 */
  adminPort: number;
  labels: Record<string, string>;
}

export interface MeshEndpoint {
  address: string;
  weight?: number;
}

export interface MeshTarget {
  readonly name: string;
  protocol: 'UDP' | 'TCP';
  port: number;
  /** local address/port the proxy sends from */
  bind?: { address?: string; port?: number };
  endpoints: MeshEndpoint[];
  loadbalancer?: { policy: 'Trivial' | 'ConsistentHash' | 'HashRing'; key?: string };
  /** deploy on the proxies with these labels even when no route uses it */
  selector?: Record<string, string>;
}

export interface MeshRoute {
  /** a Target's name */
  destination: string;
  retry?: {
    retry_on: 'never' | 'connect-failure' | 'disconnect' | 'always';
    num_retries?: number;
    timeout?: number;
  };
}

export interface MeshRule {
  match?: Record<string, unknown>;
  route: MeshRoute;
}

export interface MeshService {
  readonly name: string;
  /** the proxies (by label) that get the listener */
  selector: Record<string, string>;
  listener: {
    protocol: 'UDP' | 'TCP';
    port: number;
    address?: string;
    /** UDP singleton mode: the one remote peer */
    connect?: { address: string; port: number };
  };
  rules: MeshRule[];
}

/** A `Rule` object: joins `virtualService`'s rule list at `position` (appended without one). */
export interface MeshRuleObject {
  readonly name: string;
  virtualService: string;
  position?: number;
  rule: MeshRule;
}

export interface MeshDesc {
  proxies: MeshProxy[];
  targets: MeshTarget[];
  services: MeshService[];
  ruleObjects: MeshRuleObject[];
}

const API = 'l7mp.io/v1';

function route(r: MeshRoute): Record<string, unknown> {
  return { destination: r.destination, ...(r.retry ? { retry: r.retry } : {}) };
}

function rule(r: MeshRule): Record<string, unknown> {
  return { ...(r.match ? { match: r.match } : {}), action: { route: route(r.route) } };
}

/** The repository's files: name → YAML text. */
export function meshFiles(d: MeshDesc): Map<string, string> {
  const files = new Map<string, string>();
  const put = (file: string, obj: unknown) => files.set(file, stringify(obj));
  for (const p of d.proxies)
    put(`proxy-${p.name}.yaml`, {
      apiVersion: API,
      kind: 'Proxy',
      metadata: { name: p.name, labels: p.labels },
      spec: { admin: { url: `http://127.0.0.1:${p.adminPort}` }, address: '127.0.0.1' },
    });
  for (const t of d.targets)
    put(`target-${t.name}.yaml`, {
      apiVersion: API,
      kind: 'Target',
      metadata: { name: t.name },
      spec: {
        ...(t.selector ? { selector: { matchLabels: t.selector } } : {}),
        cluster: {
          spec: { [t.protocol]: { port: t.port, ...(t.bind ? { bind: t.bind } : {}) } },
          endpoints: t.endpoints.map((e) => ({
            spec: { address: e.address },
            ...(e.weight !== undefined ? { weight: e.weight } : {}),
          })),
          ...(t.loadbalancer ? { loadbalancer: t.loadbalancer } : {}),
        },
      },
    });
  for (const s of d.services)
    put(`vs-${s.name}.yaml`, {
      apiVersion: API,
      kind: 'VirtualService',
      metadata: { name: s.name },
      spec: {
        selector: { matchLabels: s.selector },
        listener: {
          spec: {
            [s.listener.protocol]: {
              port: s.listener.port,
              ...(s.listener.address ? { address: s.listener.address } : {}),
              ...(s.listener.connect ? { connect: s.listener.connect } : {}),
            },
          },
          rules: s.rules.map(rule),
        },
      },
    });
  for (const r of d.ruleObjects)
    put(`rule-${r.name}.yaml`, {
      apiVersion: API,
      kind: 'Rule',
      metadata: { name: r.name },
      spec: {
        virtualService: r.virtualService,
        ...(r.position !== undefined ? { position: r.position } : {}),
        rule: rule(r.rule),
      },
    });
  return files;
}

/** Writes the description into `dir` (replacing every YAML file there); returns `dir`. */
export async function writeMeshRepo(dir: string, d: MeshDesc): Promise<string> {
  for (const f of await readdir(dir)) if (f.endsWith('.yaml')) await rm(join(dir, f));
  for (const [file, text] of meshFiles(d)) await writeFile(join(dir, file), text);
  return dir;
}

/** A fresh temp directory for a mesh repository (remove it with `rm(dir, {recursive: true})`). */
export function meshTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'l7mp-mesh-'));
}

// Lookups that fail loudly, for editing a copy of a description.
export function targetOf(d: MeshDesc, name: string): MeshTarget {
  const t = d.targets.find((x) => x.name === name);
  if (!t) throw new Error(`no target ${name} in the mesh description`);
  return t;
}

export function serviceOf(d: MeshDesc, name: string): MeshService {
  const s = d.services.find((x) => x.name === name);
  if (!s) throw new Error(`no virtual service ${name} in the mesh description`);
  return s;
}

export function ruleObjectOf(d: MeshDesc, name: string): MeshRuleObject {
  const r = d.ruleObjects.find((x) => x.name === name);
  if (!r) throw new Error(`no Rule object ${name} in the mesh description`);
  return r;
}
