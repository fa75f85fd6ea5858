// Validates the deployment files; run by scripts/deploy-check, which renders the kustomizations.
//
//   node validate.mjs --modules DIR --config-loader FILE --akash FILE [--partial NAME]...
//                     NAME=RENDERED.yaml...
//
// A --partial render (k8s/base) is a building block, not a deployment: it gets every check except
// the ones about a working whole (a shared database and blob store for several replicas).
//
// For every rendered kustomization (NAME is its directory, for messages):
//   - every object must be a Kubernetes kind that kubernetes-models knows (anything else fails:
//     nothing is skipped), and pass its model's JSON-schema validate(); fields the schema does not
//     declare fail too (see unknownFields: the models' validators accept them, the API server
//     does not);
//   - references inside the render resolve (ConfigMaps, Secrets and their keys, PVCs, Services'
//     selectors and target ports, HPA/PDB targets), except the Secrets in EXTERNAL_SECRETS;
//   - every pod template meets the "restricted" Pod Security Standard essentials (the namespace
//     enforces it: a violating pod would be refused at admission, after a "successful" apply);
//   - the registry Deployment: probes on the admin port, resources, hardening, grace period
//     longer than the shutdown deadline, config mounted where --config points, admin port never
//     public, a shared key ring when several replicas issue tokens;
//   - every key of the registry's config.yaml and every OPENREGISTRY_* variable is a key the
//     registry knows (it refuses to start otherwise).
// The Akash SDL is parsed by the official SDK (@akashnetwork/akashjs), which also builds the
// manifest and the deployment groups; since the SDK ignores unknown fields, a structural check of
// the SDL's keys comes first.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

// ---------------------------------------------------------------------------------------------
// Arguments and modules

const args = process.argv.slice(2);
const opts = { renders: [], partial: new Set() };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--modules" || a === "--config-loader" || a === "--akash") {
    opts[a.slice(2)] = args[++i];
  } else if (a === "--partial") {
    opts.partial.add(args[++i]);
  } else if (/^[^=]+=.+$/.test(a)) {
    const eq = a.indexOf("=");
    opts.renders.push({ name: a.slice(0, eq), file: a.slice(eq + 1) });
  } else {
    console.error(`validate.mjs: unexpected argument ${a}`);
    process.exit(2);
  }
}
for (const k of ["modules", "config-loader", "akash"]) {
  if (!opts[k]) {
    console.error(`validate.mjs: --${k} is required`);
    process.exit(2);
  }
}
const require = createRequire(path.join(path.resolve(opts.modules), "package.json"));
const YAML = require("yaml");
const { SDL } = require("@akashnetwork/akashjs/build/sdl");

const errors = [];
const fail = (where, msg) => errors.push(`${where}: ${msg}`);

// ---------------------------------------------------------------------------------------------
// The registry's configuration keys

// Secrets the operator creates out of band (never in the repository): see k8s/README.md.
const EXTERNAL_SECRETS = new Set(["openregistry-keys"]);
// Enumerated config values, as ConfigLoader checks them at startup.
const ENUMS = {
  "storage.driver": ["filesystem", "s3", "ipfs"],
  "storage.redirect": ["stream", "redirect"],
  "auth.defaultVisibility": ["private", "public"],
  "log.level": ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"],
};
const ADMIN_PORT = 5001;
const API_PORT = 5000;
const DEFAULT_SHUTDOWN_SECONDS = 30;

const loaderText = readFileSync(opts["config-loader"], "utf8");
const loaderKeys = [...loaderText.matchAll(/DEFAULTS\.put\("([^"]+)"/g)].map((m) => m[1]);
// the keys ConfigLoader takes as a YAML sequence (its LISTS set; comma-separated in the environment)
const listsDeclaration = loaderText.match(/LISTS\s*=\s*Set\.of\(([^)]*)\)/);
const LIST_KEYS = new Set(listsDeclaration ? [...listsDeclaration[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]) : []);
if (loaderKeys.length < 10) {
  fail(opts["config-loader"], `found only ${loaderKeys.length} DEFAULTS.put("…") keys; has ConfigLoader changed shape?`);
}
const KNOWN_KEYS = new Set(loaderKeys);

/** ConfigLoader.envName: storage.s3.accessKey -> OPENREGISTRY_STORAGE_S3_ACCESS_KEY. */
function envName(key) {
  let out = "OPENREGISTRY_";
  for (const c of key) {
    if (c === ".") out += "_";
    else if (c >= "A" && c <= "Z") out += "_" + c;
    else out += c.toUpperCase();
  }
  return out;
}
const KEY_BY_ENV = new Map([...KNOWN_KEYS].map((k) => [envName(k), k]));

function checkEnvName(where, name) {
  if (name.startsWith("OPENREGISTRY_") && !KEY_BY_ENV.has(name)) {
    fail(where, `unknown registry variable ${name}: no config key maps to it (the registry refuses to start; keys: ConfigLoader)`);
  }
}

/** Flattens the registry's YAML config as ConfigLoader does, checking every key. */
function registryConfig(where, text) {
  let doc;
  try {
    doc = YAML.parse(text, { uniqueKeys: true });
  } catch (e) {
    fail(where, `config.yaml is not valid YAML: ${e.message}`);
    return {};
  }
  const flat = {};
  if (doc == null) return flat;
  if (typeof doc !== "object" || Array.isArray(doc)) {
    fail(where, "config.yaml must be a YAML mapping");
    return flat;
  }
  const walk = (prefix, node) => {
    for (const [k, v] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        walk(key, v);
      } else if (!KNOWN_KEYS.has(key)) {
        fail(where, `config.yaml: unknown key '${key}' (the registry refuses to start)`);
      } else if (Array.isArray(v)) {
        if (!LIST_KEYS.has(key)) {
          fail(where, `config.yaml: ${key}: expected a single value, not a list`);
        } else if (v.some((item) => item === null || typeof item === "object")) {
          fail(where, `config.yaml: ${key}: expected a list of plain values`);
        } else {
          flat[key] = v.map(String).join(",");
        }
      } else {
        flat[key] = v === null ? "" : String(v);
      }
    }
  };
  walk("", doc);
  for (const [key, allowed] of Object.entries(ENUMS)) {
    const v = flat[key];
    if (v !== undefined && !allowed.includes(key === "log.level" ? v.toUpperCase() : v)) {
      fail(where, `config.yaml: ${key}: '${v}' is not one of ${allowed.join(", ")}`);
    }
  }
  return flat;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects: schema, unknown fields

/**
 * Wraps data in proxies that record which properties the schema validator reads. The generated
 * validators read every property their schema declares (and enumerate maps), so a property of an
 * inspected object that was never read is not in the schema: an unknown field, which the API
 * server rejects (or drops) but kubernetes-models accepts. Objects the validator never looks into
 * (free-form fields) are not judged.
 */
function tracked(value, where, nodes) {
  if (value === null || typeof value !== "object") return value;
  const node = { where, value, touched: false, read: new Set() };
  nodes.push(node);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return v;
      node.touched = true;
      node.read.add(key);
      if (!Object.prototype.hasOwnProperty.call(target, key) || v === null || typeof v !== "object") return v;
      if (!children.has(key)) {
        const childWhere = Array.isArray(target) ? `${where}[${key}]` : where ? `${where}.${key}` : key;
        children.set(key, tracked(v, childWhere, nodes));
      }
      return children.get(key);
    },
    ownKeys(target) {
      node.touched = true;
      for (const k of Reflect.ownKeys(target)) node.read.add(k);
      return Reflect.ownKeys(target);
    },
  });
}

function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || !/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)
      || typeof kind !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return null;
  }
  try {
    const mod = require(`kubernetes-models/${apiVersion}/${kind}`);
    const cls = mod[kind];
    return cls && cls.apiVersion === apiVersion && cls.kind === kind ? cls : null;
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND" || e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return null;
    throw e;
  }
}

function validateObject(where, obj) {
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) {
    fail(where, `unknown kind ${obj.apiVersion}/${obj.kind}: no Kubernetes schema to validate it against (add a check for it, do not skip it)`);
    return;
  }
  const nodes = [];
  try {
    // The model's own validate(), run on a recording view of the object.
    Model.prototype.validate.call(tracked(obj, "", nodes));
  } catch (e) {
    fail(where, `schema: ${e.message.replaceAll("data/", "").replaceAll("data ", "(object) ")}`);
    return;
  }
  for (const n of nodes) {
    if (!n.touched || Array.isArray(n.value)) continue;
    for (const k of Object.keys(n.value)) {
      if (!n.read.has(k)) fail(where, `unknown field ${n.where ? `${n.where}.` : ""}${k}`);
    }
  }
  const name = obj.metadata?.name;
  if (!name || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    fail(where, `metadata.name '${name}' is not a valid DNS subdomain name`);
  }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects: references and policies

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"]);
const label = (o) => `${o.kind} ${o.metadata?.namespace ?? "-"}/${o.metadata?.name}`;
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function podSpecs(objs) {
  return objs.filter((o) => WORKLOADS.has(o.kind)).map((o) => ({ owner: o, spec: o.spec?.template?.spec ?? {} }));
}

function checkReferences(name, objs) {
  const byKind = (kind) => new Map(objs.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
  const configMaps = byKind("ConfigMap");
  const secrets = byKind("Secret");
  const pvcs = byKind("PersistentVolumeClaim");
  const keysOf = (o) => new Set([...Object.keys(o?.data ?? {}), ...Object.keys(o?.stringData ?? {}), ...Object.keys(o?.binaryData ?? {})]);
  const secretRef = (where, secretName, key) => {
    if (EXTERNAL_SECRETS.has(secretName)) return;
    const s = secrets.get(secretName);
    if (!s) fail(where, `Secret ${secretName} is not in the render (nor in EXTERNAL_SECRETS)`);
    else if (key !== undefined && !keysOf(s).has(key)) fail(where, `Secret ${secretName} has no key ${key}`);
  };
  const configMapRef = (where, cmName, key) => {
    const c = configMaps.get(cmName);
    if (!c) fail(where, `ConfigMap ${cmName} is not in the render`);
    else if (key !== undefined && !keysOf(c).has(key)) fail(where, `ConfigMap ${cmName} has no key ${key}`);
  };

  for (const { owner, spec } of podSpecs(objs)) {
    const where = `${name}: ${label(owner)}`;
    const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.configMap) configMapRef(where, v.configMap.name);
      if (v.secret) secretRef(where, v.secret.secretName);
      if (v.persistentVolumeClaim && !pvcs.has(v.persistentVolumeClaim.claimName)) {
        fail(where, `PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} is not in the render`);
      }
    }
    const claimTemplates = new Set((owner.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const cw = `${where} container ${c.name}`;
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name) && !claimTemplates.has(m.name)) fail(cw, `volumeMount ${m.name} names no volume`);
      }
      for (const e of c.env ?? []) {
        checkEnvName(cw, e.name);
        if (e.valueFrom?.secretKeyRef) secretRef(cw, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
        if (e.valueFrom?.configMapKeyRef) configMapRef(cw, e.valueFrom.configMapKeyRef.name, e.valueFrom.configMapKeyRef.key);
      }
      for (const f of c.envFrom ?? []) {
        if (f.secretRef) secretRef(cw, f.secretRef.name);
        if (f.configMapRef) configMapRef(cw, f.configMapRef.name);
        if (f.prefix?.startsWith("OPENREGISTRY_")) fail(cw, "envFrom prefix OPENREGISTRY_…: name the variables in full");
      }
    }
  }
  // Every OPENREGISTRY_* key of a ConfigMap or Secret (what envFrom turns into variables).
  for (const o of [...configMaps.values(), ...secrets.values()]) {
    for (const k of keysOf(o)) checkEnvName(`${name}: ${label(o)}`, k);
  }

  const pods = podSpecs(objs).map(({ owner, spec }) => ({ owner, spec, labels: owner.spec?.template?.metadata?.labels ?? {} }));
  for (const svc of objs.filter((o) => o.kind === "Service")) {
    const where = `${name}: ${label(svc)}`;
    const targets = pods.filter((p) => matches(svc.spec?.selector, p.labels));
    if (!svc.spec?.selector || targets.length === 0) {
      fail(where, "its selector matches no pod template in the render");
      continue;
    }
    for (const port of svc.spec.ports ?? []) {
      const tp = port.targetPort ?? port.port;
      const found = targets.some((p) => (p.spec.containers ?? []).some((c) =>
        (c.ports ?? []).some((cp) => (typeof tp === "string" ? cp.name === tp : cp.containerPort === tp))));
      if (!found) fail(where, `targetPort ${tp} is no container port of the selected pods`);
    }
  }
  for (const o of objs.filter((x) => x.kind === "HorizontalPodAutoscaler")) {
    const ref = o.spec.scaleTargetRef;
    if (!objs.some((x) => x.kind === ref.kind && x.metadata.name === ref.name)) {
      fail(`${name}: ${label(o)}`, `scaleTargetRef ${ref.kind} ${ref.name} is not in the render`);
    }
  }
  for (const o of objs.filter((x) => x.kind === "PodDisruptionBudget")) {
    if (!pods.some((p) => matches(o.spec.selector?.matchLabels, p.labels))) {
      fail(`${name}: ${label(o)}`, "its selector matches no pod template in the render");
    }
  }
}

/** The "restricted" Pod Security Standard essentials, for every pod template. */
function checkPodSecurity(name, objs) {
  for (const { owner, spec } of podSpecs(objs)) {
    const pod = spec.securityContext ?? {};
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const where = `${name}: ${label(owner)} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) fail(where, "runAsNonRoot must be true");
      if ((sc.runAsUser ?? pod.runAsUser) === 0) fail(where, "runAsUser must not be 0");
      if (sc.allowPrivilegeEscalation !== false) fail(where, "allowPrivilegeEscalation must be false");
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(where, "capabilities.drop must include ALL");
      const add = sc.capabilities?.add ?? [];
      if (add.some((cap) => cap !== "NET_BIND_SERVICE")) fail(where, `capabilities.add ${add.join(",")} is not allowed`);
      const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") fail(where, "seccompProfile must be RuntimeDefault");
      if (sc.privileged) fail(where, "privileged is not allowed");
      if (sc.readOnlyRootFilesystem !== true) fail(where, "readOnlyRootFilesystem must be true");
      if (!c.resources?.limits?.memory || !c.resources?.requests?.cpu || !c.resources?.requests?.memory) {
        fail(where, "resources: requests.cpu, requests.memory and limits.memory must be set");
      }
      if (!c.image || /:latest$/.test(c.image) || !/:[^/]+$|@sha256:/.test(c.image)) {
        fail(where, `image '${c.image}' must have a pinned tag or digest`);
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.hostPath) fail(`${name}: ${label(owner)}`, `hostPath volume ${v.name} is not allowed`);
    }
  }
}

/** Resolves a probe's or Service's port (number or container port name) to a number. */
function portNumber(container, port) {
  if (typeof port === "number") return port;
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort;
}

function checkRegistry(name, objs) {
  const deps = objs.filter((o) => o.kind === "Deployment" && o.metadata.name === "openregistry");
  if (deps.length !== 1) {
    fail(name, `expected exactly one Deployment openregistry, found ${deps.length}`);
    return;
  }
  const dep = deps[0];
  const where = `${name}: ${label(dep)}`;
  const spec = dep.spec.template.spec;
  const c = (spec.containers ?? []).find((x) => x.name === "registry");
  if (!c) {
    fail(where, "no container named registry");
    return;
  }
  const cw = `${where} container registry`;
  const pod = spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) fail(cw, "runAsNonRoot must be true");
  if ((sc.runAsUser ?? pod.runAsUser) !== 65532) fail(cw, "must run as uid 65532 (the image's user)");
  if (sc.readOnlyRootFilesystem !== true) fail(cw, "readOnlyRootFilesystem must be true");
  for (const r of ["requests", "limits"]) {
    for (const k of ["cpu", "memory"]) {
      if (c.resources?.[r]?.[k] === undefined) fail(cw, `resources.${r}.${k} must be set`);
    }
  }

  // Admin listener: on all interfaces at the admin port, probes on it, never public.
  const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
  const adminAddr = env.get("OPENREGISTRY_ADMIN_ADDR");
  const m = /^(.*):(\d+)$/.exec(adminAddr ?? "");
  if (!m || Number(m[2]) !== ADMIN_PORT || /^(127\.|localhost$|\[::1\]$)/.test(m[1])) {
    fail(cw, `env OPENREGISTRY_ADMIN_ADDR must listen beyond loopback on port ${ADMIN_PORT} (is '${adminAddr}')`);
  }
  const probes = { readinessProbe: "/readyz", livenessProbe: "/healthz" };
  for (const [probe, pathWanted] of Object.entries(probes)) {
    const get = c[probe]?.httpGet;
    if (!get) fail(cw, `${probe} must be an httpGet probe`);
    else if (get.path !== pathWanted || portNumber(c, get.port) !== ADMIN_PORT) {
      fail(cw, `${probe} must be GET ${pathWanted} on the admin port ${ADMIN_PORT} (is ${get.path} on ${get.port})`);
    }
  }
  if (spec.enableServiceLinks !== false) {
    fail(where, "enableServiceLinks must be false: links for the Services named openregistry* inject OPENREGISTRY_* variables the registry refuses");
  }
  if (portNumber(c, "http") !== API_PORT) fail(cw, `container port 'http' must be ${API_PORT}`);
  for (const svc of objs.filter((o) => o.kind === "Service" && matches(o.spec.selector, dep.spec.template.metadata.labels))) {
    const exposesAdmin = (svc.spec.ports ?? []).some((p) => portNumber(c, p.targetPort ?? p.port) === ADMIN_PORT);
    const type = svc.spec.type ?? "ClusterIP";
    if (exposesAdmin && (type !== "ClusterIP" || (svc.spec.externalIPs ?? []).length)) {
      fail(`${name}: ${label(svc)}`, `exposes the admin port (metrics) outside the cluster (type ${type})`);
    }
  }
  for (const ing of objs.filter((o) => o.kind === "Ingress")) {
    if (JSON.stringify(ing.spec).includes('"openregistry-admin"')) fail(`${name}: ${label(ing)}`, "routes to the admin Service");
  }

  // Config: mounted where --config points; every key known.
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const ci = argv.indexOf("--config");
  const configPath = ci >= 0 ? argv[ci + 1] : undefined;
  let config = {};
  if (!configPath) {
    fail(cw, "args must pass --config PATH");
  } else {
    const mount = (c.volumeMounts ?? []).find((vm) => configPath.startsWith(vm.mountPath.replace(/\/?$/, "/")));
    const vol = mount && (spec.volumes ?? []).find((v) => v.name === mount.name);
    const file = mount && configPath.slice(mount.mountPath.replace(/\/?$/, "/").length);
    const cm = vol?.configMap && objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === vol.configMap.name);
    if (!cm || cm.data?.[file] === undefined) {
      fail(cw, `--config ${configPath} is not a file of a mounted ConfigMap`);
    } else {
      config = registryConfig(`${name}: ${label(cm)}`, cm.data[file]);
    }
  }
  for (const [k, v] of env) {
    if (KEY_BY_ENV.has(k)) config[KEY_BY_ENV.get(k)] = v ?? "";
  }

  // Shutdown: the kubelet's SIGKILL must come after the registry's own deadline.
  const shutdown = Number(config["http.shutdownTimeoutSeconds"] ?? DEFAULT_SHUTDOWN_SECONDS);
  const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const grace = spec.terminationGracePeriodSeconds ?? 30;
  if (!(grace > shutdown + preStop)) {
    fail(where, `terminationGracePeriodSeconds ${grace} must exceed http.shutdownTimeoutSeconds ${shutdown} + preStop ${preStop}`);
  }

  // storage.root and auth.keysDir: on mounted volumes (the root filesystem is read-only).
  const mountOf = (p) => (c.volumeMounts ?? [])
    .filter((vm) => p === vm.mountPath || p.startsWith(vm.mountPath.replace(/\/?$/, "/")))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const root = config["storage.root"];
  if (!root || !root.startsWith("/")) fail(where, `storage.root must be an absolute path (is '${root}')`);
  else if (!mountOf(root) || mountOf(root).readOnly) fail(where, `storage.root ${root} is not on a writable volume`);
  if (!mountOf("/tmp") || mountOf("/tmp").readOnly) fail(cw, "needs a writable volume at /tmp (Netty's native libraries, JVM perf data)");
  const replicas = dep.spec.replicas ?? 1;
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef.name === dep.metadata.name);
  const scalesOut = replicas > 1 || (hpa && hpa.spec.maxReplicas > 1);
  if (String(config["auth.enabled"]) === "true") {
    const keys = config["auth.keysDir"];
    const km = keys && mountOf(keys);
    const kv = km && (spec.volumes ?? []).find((v) => v.name === km.name);
    if (!keys) fail(where, "auth.enabled needs auth.keysDir");
    else if (scalesOut && !kv?.secret) fail(where, `auth.keysDir ${keys} must be a Secret volume: several replicas must share one key ring`);
    else if (!kv) fail(where, `auth.keysDir ${keys} is on no volume (the root filesystem is read-only)`);
  }
  if (scalesOut && !opts.partial.has(name)) {
    const driver = config["storage.driver"] ?? "filesystem";
    if (driver === "filesystem") {
      fail(where, "storage.driver filesystem with more than one replica: each would keep its own blobs");
    }
    // Uploads in progress are staged under storage.root for the ipfs driver, and any replica may
    // take an upload's next request: every replica must see the same directory.
    if (driver === "ipfs" && root && mountOf(root)) {
      const volume = (spec.volumes ?? []).find((v) => v.name === mountOf(root).name);
      const claim = volume?.persistentVolumeClaim
        && objs.find((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === volume.persistentVolumeClaim.claimName);
      if (!claim?.spec.accessModes?.includes("ReadWriteMany")) {
        fail(where, `storage.root ${root} must be on a ReadWriteMany PersistentVolumeClaim: with storage.driver ipfs uploads in progress are staged there, and every replica continues any upload`);
      }
    }
    if (!config["database.url"]) fail(where, "more than one replica needs database.url (PostgreSQL); H2 is per process");
  }
  const api = objs.find((o) => o.kind === "Service" && o.metadata.name === "openregistry");
  if (scalesOut && api && (api.spec.sessionAffinity ?? "None") !== "None") {
    fail(`${name}: Service openregistry`, "no sessionAffinity: replicas are interchangeable, and affinity by client address piles every client behind one NAT address onto one pod");
  }
  const pdb = objs.find((o) => o.kind === "PodDisruptionBudget" && matches(o.spec.selector?.matchLabels, dep.spec.template.metadata.labels));
  const minPods = hpa ? hpa.spec.minReplicas ?? 1 : replicas;
  if (minPods > 1 && !pdb) fail(where, "several replicas but no PodDisruptionBudget");
  if (pdb && minPods <= 1 && (pdb.spec.minAvailable === 1 || pdb.spec.maxUnavailable === 0)) {
    fail(`${name}: ${label(pdb)}`, "with a single replica it blocks every node drain: delete it (and the HPA)");
  }
}

function checkRender({ name, file }) {
  let docs;
  try {
    docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
  } catch (e) {
    fail(name, `cannot read the render: ${e.message}`);
    return;
  }
  const objs = [];
  docs.forEach((d, i) => {
    if (d.errors.length) {
      fail(`${name}: document ${i + 1}`, d.errors.map((e) => e.message).join("; "));
      return;
    }
    const o = d.toJS();
    if (o === null) return;
    if (typeof o !== "object" || Array.isArray(o)) {
      fail(`${name}: document ${i + 1}`, "is not an object");
      return;
    }
    objs.push(o);
    validateObject(`${name}: ${label(o)}`, o);
  });
  if (objs.length === 0) fail(name, "renders no object");
  const seen = new Set();
  for (const o of objs) {
    const id = `${o.apiVersion}/${label(o)}`;
    if (seen.has(id)) fail(name, `${label(o)} appears twice`);
    seen.add(id);
  }
  // The policy checks assume objects that passed the schema; a broken one is already reported.
  try {
    checkReferences(name, objs);
    checkPodSecurity(name, objs);
    checkRegistry(name, objs);
  } catch (e) {
    fail(name, `policy checks could not run (${e.message}); fix the errors above first`);
  }
  console.log(`${name}: ${objs.length} objects (${[...new Set(objs.map((o) => o.kind))].join(", ")})`);
}

// ---------------------------------------------------------------------------------------------
// Akash SDL

// The SDL v2.0 keys (Akash docs, "Stack Definition Language"); the SDK ignores unknown ones.
const SDL_SHAPE = {
  "": ["version", "services", "profiles", "deployment", "endpoints"],
  service: ["image", "command", "args", "env", "expose", "dependencies", "params", "credentials"],
  expose: ["port", "as", "proto", "to", "accept", "http_options"],
  to: ["service", "global", "ip"],
  http_options: ["max_body_size", "read_timeout", "send_timeout", "next_cases", "next_tries", "next_timeout"],
  params: ["storage"],
  storageParam: ["mount", "readOnly"],
  profiles: ["compute", "placement"],
  compute: ["resources"],
  resources: ["cpu", "memory", "storage", "gpu"],
  storage: ["name", "size", "attributes"],
  storageAttributes: ["persistent", "class"],
  placement: ["attributes", "signedBy", "pricing"],
  price: ["denom", "amount"],
  deployment: ["profile", "count"],
};

function checkSdlShape(file, sdl) {
  const where = (p) => `${file}: ${p}`;
  const keys = (obj, shape, p) => {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      fail(where(p || "(top)"), "must be a mapping");
      return false;
    }
    for (const k of Object.keys(obj)) {
      if (!SDL_SHAPE[shape].includes(k)) fail(where(p ? `${p}.${k}` : k), `unknown field (expected one of ${SDL_SHAPE[shape].join(", ")})`);
    }
    return true;
  };
  if (!keys(sdl, "", "")) return;
  if (sdl.version !== "2.0") fail(where("version"), `must be "2.0" (is ${JSON.stringify(sdl.version)})`);
  for (const [sn, s] of Object.entries(sdl.services ?? {})) {
    const p = `services.${sn}`;
    if (sn.toUpperCase().replaceAll("-", "_").startsWith("OPENREGISTRY")) {
      fail(where(p), "a service named openregistry* gets OPENREGISTRY_* service variables, which the registry refuses");
    }
    if (!keys(s, "service", p)) continue;
    if (typeof s.image !== "string" || !/:[^/]+$|@sha256:/.test(s.image) || /:latest$/.test(s.image)) {
      fail(where(`${p}.image`), `'${s.image}' must have a pinned tag`);
    }
    for (const [i, e] of (s.env ?? []).entries()) {
      if (typeof e !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) fail(where(`${p}.env[${i}]`), "must be NAME=value");
      else checkEnvName(where(`${p}.env[${i}]`), e.slice(0, e.indexOf("=")));
    }
    for (const [i, x] of (s.expose ?? []).entries()) {
      const xp = `${p}.expose[${i}]`;
      if (!keys(x, "expose", xp)) continue;
      if (!Number.isInteger(x.port)) fail(where(`${xp}.port`), "must be an integer");
      if (x.as !== undefined && !Number.isInteger(x.as)) fail(where(`${xp}.as`), "must be an integer");
      (x.to ?? []).forEach((t, j) => {
        if (keys(t, "to", `${xp}.to[${j}]`) && t.service !== undefined && !(t.service in (sdl.services ?? {}))) {
          fail(where(`${xp}.to[${j}].service`), `names no service '${t.service}'`);
        }
      });
      if (x.http_options && keys(x.http_options, "http_options", `${xp}.http_options`)) {
        // The provider limits (Akash docs): bodies up to 100 MiB, timeouts up to 60 s.
        const limits = { max_body_size: 104857600, read_timeout: 60000, send_timeout: 60000 };
        for (const [k, max] of Object.entries(limits)) {
          const v = x.http_options[k];
          if (v !== undefined && !(Number.isInteger(v) && v > 0 && v <= max)) {
            fail(where(`${xp}.http_options.${k}`), `must be an integer in 1..${max} (is ${JSON.stringify(v)})`);
          }
        }
      }
    }
    if (s.params && keys(s.params, "params", `${p}.params`)) {
      for (const [vn, v] of Object.entries(s.params.storage ?? {})) keys(v, "storageParam", `${p}.params.storage.${vn}`);
    }
  }
  if (!keys(sdl.profiles, "profiles", "profiles")) return;
  for (const [cn, c] of Object.entries(sdl.profiles.compute ?? {})) {
    const p = `profiles.compute.${cn}`;
    if (!keys(c, "compute", p) || !keys(c.resources, "resources", `${p}.resources`)) continue;
    const storages = Array.isArray(c.resources.storage) ? c.resources.storage : [c.resources.storage];
    storages.forEach((st, i) => {
      if (!keys(st, "storage", `${p}.resources.storage[${i}]`)) return;
      if (st.attributes && keys(st.attributes, "storageAttributes", `${p}.resources.storage[${i}].attributes`)) {
        const persistent = String(st.attributes.persistent) === "true";
        if (persistent && !["beta1", "beta2", "beta3"].includes(st.attributes.class)) {
          fail(where(`${p}.resources.storage[${i}].attributes.class`), "persistent storage needs class beta1, beta2 or beta3");
        }
      }
    });
  }
  for (const [pn, pl] of Object.entries(sdl.profiles.placement ?? {})) {
    const p = `profiles.placement.${pn}`;
    if (!keys(pl, "placement", p)) continue;
    for (const [k, price] of Object.entries(pl.pricing ?? {})) keys(price, "price", `${p}.pricing.${k}`);
  }
  for (const [sn, d] of Object.entries(sdl.deployment ?? {})) {
    if (!(sn in (sdl.services ?? {}))) fail(where(`deployment.${sn}`), "names no service");
    for (const [pn, x] of Object.entries(d ?? {})) {
      if (keys(x, "deployment", `deployment.${sn}.${pn}`) && !(Number.isInteger(x.count) && x.count >= 1)) {
        fail(where(`deployment.${sn}.${pn}.count`), "must be an integer >= 1");
      }
    }
  }
}

async function checkAkash(file) {
  const text = readFileSync(file, "utf8");
  let data;
  try {
    data = YAML.parse(text, { uniqueKeys: true });
  } catch (e) {
    fail(file, `not valid YAML: ${e.message}`);
    return;
  }
  checkSdlShape(file, data);
  try {
    const sdl = SDL.fromString(text, "beta3");
    const manifest = sdl.manifest();
    const groups = sdl.groups();
    sdl.manifestSortedJSON();
    await sdl.manifestVersion();
    const services = manifest.flatMap((g) => g.services.map((s) => s.name));
    console.log(`${file}: ${groups.length} group(s), services ${services.join(", ")}`);
  } catch (e) {
    fail(file, `Akash SDK: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------

for (const r of opts.renders) checkRender(r);
await checkAkash(opts.akash);
const problems = [...new Set(errors)]; // a policy may be checked twice (pod security, registry)
if (problems.length) {
  console.error(`\ndeploy-check: ${problems.length} problem(s):`);
  for (const e of problems) console.error(`  - ${e}`);
  process.exit(1);
}
console.log("deploy-check: all valid");
