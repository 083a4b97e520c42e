'use strict';
// Node client for the retail customer-service gRPC API.
//
// The stubs are built at run time by @grpc/proto-loader from the .proto files
// of the public contract: the repo's protos/ and google/rpc from
// google-proto-files; in a tarball made by `npm pack`, the copy it bundles;
// or RETAIL_PROTOS_DIR / the protosDir option. Field names stay
// as in the protos (snake_case); int64 fields are strings, enums their names.
//
//   const retail = require('retail-client');
//   const client = retail.connect({ address: '127.0.0.1:50051', token });
//   const { customer } = await client.call('customers', 'CreateCustomer', {
//     customer: { display_name: 'Wang', branch_id: 'B001' },
//     request_id: retail.newRequestId() });
//   const stream = client.events.WatchEvents({ start: 'START_POSITION_NOW' });
//
// Every call carries `authorization: Bearer <token>` (and x-staff-id when a
// staffId is given).

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const DEFAULT_ADDRESS = '127.0.0.1:50051';

// service key on the client -> fully qualified service name
const SERVICES = {
  customers: 'retail.customers.v1.CustomerService',
  orders: 'retail.orders.v1.OrderService',
  complaints: 'retail.complaints.v1.ComplaintService',
  feedback: 'retail.feedback.v1.FeedbackService',
  events: 'retail.events.v1.EventService',
  audit: 'retail.audit.v1.AuditService',
  serverInfo: 'retail.server.v1.ServerInfoService',
};

// RETAIL_PROTOS_DIR, else the copy `npm pack` bundled, else the repo's protos/.
function defaultProtosDir() {
  if (process.env.RETAIL_PROTOS_DIR) return process.env.RETAIL_PROTOS_DIR;
  const bundled = path.join(__dirname, 'protos');
  if (fs.existsSync(path.join(bundled, 'retail'))) return bundled;
  return path.resolve(__dirname, '..', '..', 'protos');
}

// Where google/rpc/*.proto are: beside the retail protos (a bundled copy),
// else google-proto-files (in the repo, installed by scripts/setup's npm ci).
function googleProtosDir(protosDir = defaultProtosDir()) {
  if (fs.existsSync(path.join(protosDir, 'google', 'rpc', 'status.proto'))) return protosDir;
  return path.dirname(require.resolve('google-proto-files/package.json'));
}

function protoFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.proto')) out.push(path.relative(root, full));
    }
  };
  walk(path.join(root, 'retail'));
  return out.sort();
}

const cache = new Map();

// The loaded package tree (grpc.loadPackageDefinition) for a protos dir.
function load(protosDir = defaultProtosDir()) {
  if (!cache.has(protosDir)) {
    const files = protoFiles(protosDir).concat(
      ['google/rpc/status.proto', 'google/rpc/error_details.proto']);
    const definition = protoLoader.loadSync(files, {
      includeDirs: [protosDir, googleProtosDir(protosDir)],
      keepCase: true, // the protos' own field names
      longs: String, // int64 as a decimal string: no precision lost
      enums: String,
      defaults: false,
      arrays: true, // an empty repeated field is [], not undefined
      oneofs: true,
    });
    cache.set(protosDir, { definition, tree: grpc.loadPackageDefinition(definition) });
  }
  return cache.get(protosDir);
}

function lookup(tree, fullName) {
  return fullName.split('.').reduce((node, part) => (node ? node[part] : undefined), tree);
}

// The token retailctl uses: $RETAIL_TOKEN, else ~/.config/retailctl/token.
function defaultToken() {
  if (process.env.RETAIL_TOKEN && process.env.RETAIL_TOKEN.trim()) return process.env.RETAIL_TOKEN.trim();
  const config = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  try {
    return fs.readFileSync(path.join(config, 'retailctl', 'token'), 'utf8').split('\n')[0].trim();
  } catch {
    return '';
  }
}

// A fresh idempotency key (8..64 of [A-Za-z0-9_-]). Keep it to retry a write.
function newRequestId() {
  return crypto.randomUUID().replace(/-/g, '');
}

// connect({address, token, staffId, rootCert, privateKey, certChain, protosDir, options})
// -> { customers, orders, complaints, feedback, events, audit, serverInfo,
//      call(service, method, request, {timeoutMs}), close(), grpc, channel, types }
// Without certificates the channel is plaintext (the server allows that on
// loopback only); with rootCert (PEM Buffer) it is TLS, and with privateKey
// and certChain too, mTLS.
function connect(opts = {}) {
  const address = opts.address || process.env.RETAIL_ADDR || DEFAULT_ADDRESS;
  const token = opts.token === undefined ? defaultToken() : opts.token;
  const { tree } = load(opts.protosDir);

  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  if (opts.staffId) metadata.set('x-staff-id', opts.staffId);
  // The same metadata on every call, over TLS and plaintext alike (grpc-js
  // sends call credentials only over TLS).
  const interceptor = (options, next) => new grpc.InterceptingCall(next(options), {
    start(md, listener, nextStart) {
      md.merge(metadata);
      nextStart(md, listener);
    },
  });
  const channelCreds = opts.rootCert || opts.privateKey || opts.certChain
    ? grpc.credentials.createSsl(opts.rootCert || null, opts.privateKey || null, opts.certChain || null)
    : grpc.credentials.createInsecure();
  // One channel (one connection) shared by every service's stub.
  const channel = new grpc.Channel(address, channelCreds, opts.options || {});

  const client = { grpc, address, channel, types: tree };
  for (const [key, fullName] of Object.entries(SERVICES)) {
    const Ctor = lookup(tree, fullName);
    if (!Ctor) continue; // a service not in this protos dir
    client[key] = new Ctor(address, channelCreds, { channelOverride: channel, interceptors: [interceptor] });
  }

  // Promise form of a unary call: await client.call('orders', 'CreateOrder', req).
  client.call = (service, method, request, { timeoutMs = 10000 } = {}) =>
    new Promise((resolve, reject) => {
      client[service][method](request, { deadline: Date.now() + timeoutMs }, (err, reply) =>
        (err ? reject(err) : resolve(reply)));
    });
  client.close = () => channel.close();
  return client;
}

let errorRoot;

// The google.rpc details of a failed call, e.g.
// [{type: 'BadRequest', field_violations: [{field, description}]}]; [] if none.
function errorDetails(err, protosDir) {
  const bin = err && err.metadata && err.metadata.get('grpc-status-details-bin')[0];
  if (!bin) return [];
  if (!errorRoot) {
    errorRoot = new protobuf.Root();
    const dir = googleProtosDir(protosDir || defaultProtosDir());
    errorRoot.resolvePath = (_origin, target) => path.join(dir, target);
    errorRoot.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  }
  const asObject = (type, bytes) =>
    type.toObject(type.decode(bytes), { longs: String, enums: String, defaults: false });
  const status = asObject(errorRoot.lookupType('google.rpc.Status'), bin);
  return (status.details || []).map((any) => {
    const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    const type = errorRoot.lookup(name);
    return type ? { type: name.replace('google.rpc.', ''), ...asObject(type, any.value) } : { type: name };
  });
}

module.exports = { grpc, connect, load, defaultToken, newRequestId, errorDetails, DEFAULT_ADDRESS, SERVICES };
