#!/bin/sh
# run_node_client_test.sh KESTREL_BINARY NODE_DIR PROTO_DIR CAPTURE_WRITER [text|json]
#
# An independent client: installs @grpc/grpc-js and @grpc/proto-loader from
# the npm registry into NODE_DIR (a folder in the build dir; CI starts clean),
# then runs the real kestrel binary replaying a capture (-e) with the gRPC
# outputs service on a unix socket, and checks what the Node.js client
# received through `sub` (node/check_alerts.js) as Falco's consumers would.
# PROTO_DIR is Falco's own .proto files, not Kestrel's; json: with
# json_output, so `output` carries Falco's JSON object.
set -eu
kestrel=$1 node_dir=$2 proto_dir=$3 capture_writer=$4 mode=${5:-text}
if [ ! -f "$proto_dir/outputs.proto" ] || [ ! -f "$proto_dir/schema.proto" ]; then
  echo "FAIL: Falco's outputs.proto/schema.proto not found in '$proto_dir'" >&2
  exit 1
fi
json=false
[ "$mode" = json ] && json=true
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
cp "$src_dir/package.json" "$src_dir/sub_client.js" "$src_dir/check_alerts.js" "$src_dir/compare_protos.js" "$node_dir/"
if [ ! -d "$node_dir/node_modules/@grpc/grpc-js" ] || [ ! -d "$node_dir/node_modules/@grpc/proto-loader" ]; then
  (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
# Our own .proto files say on the wire exactly what Falco's say.
node "$node_dir/compare_protos.js" "$proto_dir" "$(dirname "$0")/../../outputs/grpc"
work=$(mktemp -d /tmp/kestrel_node_grpc.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$capture_writer" "$work/alerts.kcap"
sock="$work/kestrel.sock"
"$kestrel" -e "$work/alerts.kcap" -o stdout_output.enabled=false -o json_output=$json -o grpc.enabled=true \
  -o grpc_output.enabled=true -o "grpc.bind_address=unix://$sock" \
  -o outputs.grpc.wait_subscribers=1 -o outputs.grpc.wait_timeout=60s 2>"$work/kestrel.log" &
kpid=$!
node "$node_dir/sub_client.js" "$sock" "$proto_dir" >"$work/received.jsonl"
wait "$kpid" || { echo "kestrel failed:"; cat "$work/kestrel.log"; exit 1; }
cat "$work/received.jsonl"
# Two alerts, in order, with Falco's fields, then a clean end of stream.
node "$node_dir/check_alerts.js" "$work/received.jsonl" "$mode"
