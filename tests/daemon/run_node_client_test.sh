#!/bin/sh
# run_node_client_test.sh KESTREL_BINARY NODE_DIR PROTO_DIR CAPTURE_WRITER
#
# An independent client: installs @grpc/grpc-js and @grpc/proto-loader from
# the npm registry into NODE_DIR (a folder in the build dir; CI starts clean),
# then runs the real kestrel binary replaying a capture (-e) with the gRPC
# outputs service on a unix socket, and checks what the Node.js client
# received through `sub`.
set -eu
kestrel=$1 node_dir=$2 proto_dir=$3 capture_writer=$4
src_dir=$(dirname "$0")/node
# Looked up when the test runs, not when CMake configured: a missing tool is
# a failure that says so, never a test that silently is not there.
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: '$tool' is not on PATH ($PATH); scripts/install-deps.sh installs Node.js and npm" >&2
    exit 1
  fi
done
mkdir -p "$node_dir"
cp "$src_dir/package.json" "$src_dir/sub_client.js" "$node_dir/"
if [ ! -d "$node_dir/node_modules/@grpc/grpc-js" ] || [ ! -d "$node_dir/node_modules/@grpc/proto-loader" ]; then
  (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
work=$(mktemp -d /tmp/kestrel_node_grpc.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$capture_writer" "$work/alerts.kcap"
sock="$work/kestrel.sock"
"$kestrel" -e "$work/alerts.kcap" -o stdout_output.enabled=false -o grpc.enabled=true \
  -o grpc_output.enabled=true -o "grpc.bind_address=unix://$sock" \
  -o outputs.grpc.wait_subscribers=1 -o outputs.grpc.wait_timeout=60s 2>"$work/kestrel.log" &
kpid=$!
node "$node_dir/sub_client.js" "$sock" "$proto_dir" >"$work/received.jsonl"
wait "$kpid" || { echo "kestrel failed:"; cat "$work/kestrel.log"; exit 1; }
cat "$work/received.jsonl"
# Two alerts, in order, with Falco's fields, then a clean end of stream.
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
const fail = (m) => { console.error("FAIL: " + m); process.exit(1); };
if (lines.length !== 3) fail("expected 2 alerts and END, got " + lines.length + " lines");
if (lines[2] !== "END 0") fail("stream did not end cleanly: " + lines[2]);
const a = JSON.parse(lines[0]), b = JSON.parse(lines[1]);
if (a.rule !== "Sensitive File Read By Untrusted Program") fail("first rule " + a.rule);
if (a.priority.toLowerCase() !== "warning") fail("first priority " + a.priority);
if (a.output_fields["fd.name"] !== "/etc/shadow") fail("fd.name " + a.output_fields["fd.name"]);
if (a.source !== "syscall") fail("source " + a.source);
if (a.time_seconds !== 1764417418 || a.time_nanos !== 3) fail("time " + a.time_seconds + "." + a.time_nanos);
if (b.rule !== "Shell Spawned By Network Service" || b.priority.toLowerCase() !== "critical") fail("second " + lines[1]);
console.log("node client: OK");
' "$work/received.jsonl"
