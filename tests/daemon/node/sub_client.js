// sub_client.js SOCKET_PATH PROTO_DIR
//
// Subscribes to falco.outputs.service/sub on a unix socket and prints each
// response as one JSON line ({rule, priority, source, source_deprecated,
// output, hostname, time_seconds, time_nanos, output_fields, tags}), then
// "END <code>" when the server ends the stream. PROTO_DIR holds Falco's own
// outputs.proto and schema.proto (../shared/reference/falco-grpc), not
// Kestrel's. Uses only @grpc/grpc-js and @grpc/proto-loader
// (no code shared with Kestrel), loading the .proto files at run time.
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const path = require('path');

const [socketPath, protoDir] = process.argv.slice(2);
const definition = protoLoader.loadSync(path.join(protoDir, 'outputs.proto'), {
  includeDirs: [protoDir],
  keepCase: true,
  enums: String,
  longs: Number,
  defaults: true,
});
const proto = grpc.loadPackageDefinition(definition);
const client = new proto.falco.outputs.service('unix://' + socketPath, grpc.credentials.createInsecure());

const deadline = new Date(Date.now() + 60000);
client.waitForReady(deadline, (err) => {
  if (err) {
    console.log('ERROR ' + err.message);
    process.exit(2);
  }
  const call = client.sub({ deadline });
  call.on('data', (r) => {
    console.log(JSON.stringify({
      rule: r.rule,
      priority: r.priority,
      source: r.source,
      source_deprecated: r.source_deprecated,
      output: r.output,
      hostname: r.hostname,
      time_seconds: r.time ? Number(r.time.seconds) : null,
      time_nanos: r.time ? r.time.nanos : null,
      output_fields: r.output_fields,
      tags: r.tags,
    }));
  });
  call.on('error', (e) => {
    console.log('END ' + e.code + ' ' + e.details);
    process.exit(e.code === grpc.status.OK ? 0 : 1);
  });
  call.on('end', () => {
    console.log('END 0');
    process.exit(0);
  });
  call.write({});
});
