// compare_protos.js FALCO_PROTO_DIR KESTREL_PROTO_DIR
//
// Kestrel keeps its own .proto files (outputs/grpc/); this checks they
// agree with Falco's on everything the wire carries: every service and
// method (names, streaming), every message field (name, number, type,
// repeated/map), every enum value (name, number), in each file Falco
// ships. Kestrel may add nothing Falco lacks. Uses protobufjs, which
// @grpc/proto-loader brings.
'use strict';
const path = require('path');
const protobuf = require('protobufjs');
const [falcoDir, kestrelDir] = process.argv.slice(2);
const fail = (m) => { console.error('FAIL: ' + m); process.exit(1); };

function load(dir) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    const local = path.join(dir, target);
    return require('fs').existsSync(local) ? local : protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(['outputs.proto', 'schema.proto', 'version.proto'].map((f) => path.join(dir, f)), { keepCase: true });
  root.resolveAll();
  return root;
}

// Everything the wire carries, as comparable strings.
function describe(root) {
  const out = [];
  const walk = (ns) => {
    for (const obj of ns.nestedArray) {
      const name = obj.fullName;
      if (obj instanceof protobuf.Type) {
        for (const f of obj.fieldsArray)
          out.push(`${name}.${f.name} = ${f.id} ${f.map ? 'map<' + f.keyType + ',' + f.type + '>' : f.type}` +
                   `${f.repeated ? ' repeated' : ''}`);
      } else if (obj instanceof protobuf.Enum) {
        for (const [k, v] of Object.entries(obj.values)) out.push(`${name}.${k} = ${v}`);
      } else if (obj instanceof protobuf.Service) {
        for (const m of obj.methodsArray)
          out.push(`${name}/${m.name}(${m.requestStream ? 'stream ' : ''}${m.requestType}) returns ` +
                   `(${m.responseStream ? 'stream ' : ''}${m.responseType})`);
      }
      if (obj.nestedArray && !(obj instanceof protobuf.Enum) && !name.startsWith('.google')) walk(obj);
    }
  };
  walk(root);
  return out.sort();
}

const falco = describe(load(falcoDir)), kestrel = describe(load(kestrelDir));
const missing = falco.filter((d) => !kestrel.includes(d));
const extra = kestrel.filter((d) => !falco.includes(d));
if (missing.length) fail('Kestrel\'s protos lack:\n  ' + missing.join('\n  '));
if (extra.length) fail('Kestrel\'s protos add what Falco\'s lack:\n  ' + extra.join('\n  '));
console.log('protos agree: ' + falco.length + ' wire facts');
