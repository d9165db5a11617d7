#!/usr/bin/env bash
# Generates docs/api.md, the API reference, from the protos' comments with
# protoc-gen-doc (a Go module in tools/bin, installed by install-deps.sh),
# and puts each RPC's REST route (its google.api.http option, listed by
# scripts/api-routes.tmpl) beside it in its service's table.
# With --check, writes nothing and fails if docs/api.md is not current: CI
# runs that, so the reference never drifts from the contract.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
protoc_doc() {
  PATH="$PWD/tools/bin:$PATH" protoc -I proto -I tools/node_modules/google-proto-files \
    --doc_out="$out" --doc_opt="$1" proto/mpower/v1/*.proto
}
protoc_doc markdown,plain.md
protoc_doc scripts/api-routes.tmpl,routes.tsv
/usr/bin/python3 - "$out/plain.md" "$out/routes.tsv" > "$out/api.md" <<'PY'
import re, sys
routes = {}
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 5:
        service, method, verb, pattern, body = parts
        route = f"`{verb} {pattern}`" + (f" (body: `{body}`)" if body else "")
        routes.setdefault((service, method), []).append(route)
service = None
for line in open(sys.argv[1]):
    heading = re.match(r"### (\w+Service)$", line.rstrip("\n"))
    if heading:
        service = heading.group(1)
    elif line.startswith("| Method Name |"):
        line = line.replace("| Method Name |", "| Method Name | REST route |", 1)
    elif line.startswith("| ----------- | ------------ |"):
        line = line.replace("| ----------- |", "| ----------- | ---------- |", 1)
    elif service and line.startswith("| ") and line.count("|") >= 5:
        name = line.split("|")[1].strip()
        if (service, name) in routes or name[:1].isupper():
            shown = "<br>".join(routes.get((service, name), ["gRPC only: streams from the client"]))
            line = line.replace(f"| {name} |", f"| {name} | {shown} |", 1)
    if line.startswith("## "):
        service = None
    sys.stdout.write(line)
PY
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -u docs/api.md "$out/api.md"; then
    echo "docs/api.md is out of date: run scripts/gen-api-docs.sh and commit the result" >&2
    exit 1
  fi
  echo "docs/api.md is current"
else
  mkdir -p docs
  cp "$out/api.md" docs/api.md
  echo "wrote docs/api.md"
fi
