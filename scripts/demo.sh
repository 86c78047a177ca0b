#!/usr/bin/env bash
# The order story in one terminal: `dfut dev` (server, worker and an embedded nats-server),
# one OrderWorkflow, and its live view. Run with `npm run demo`, which builds dist/dfut first.
set -euo pipefail
cd "$(dirname "$0")/.."

dfut=dist/dfut
if [ ! -x "$dfut" ]; then
  echo "demo: $dfut is missing; run 'node build.mjs' first" >&2
  exit 1
fi

log=$(mktemp)
"$dfut" dev --load examples/order.ts >"$log" 2>&1 &
dev=$!
stop_dev() {
  if kill -0 "$dev" 2>/dev/null; then
    kill -TERM "$dev"
    wait "$dev" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap stop_dev EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 150); do
  grep -q "dfut dev ready" "$log" && break
  if ! kill -0 "$dev" 2>/dev/null; then
    echo "demo: dfut dev did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! grep -q "dfut dev ready" "$log"; then
  echo "demo: dfut dev is not ready after 15 s:" >&2
  cat "$log" >&2
  exit 1
fi
cat "$log"

echo "\$ dfut start OrderWorkflow Bob widget-1000 1000 2"
id=$("$dfut" start OrderWorkflow Bob widget-1000 1000 2)
echo "$id"

if [ -t 0 ] && [ -t 1 ]; then
  "$dfut" watch "$id"
else
  # No terminal for the live view: wait for the outcome, then show the history.
  echo "\$ dfut result $id"
  "$dfut" result "$id"
  echo "\$ dfut history $id"
  "$dfut" history "$id"
fi
