#!/usr/bin/env bash
# Fails when docs/configuration.md does not list every configuration key exactly as the agent
# declares it (`gp-agent --help-config`), so the document cannot drift from the code.
# Usage: check-config-doc.sh PATH/TO/gp-agent [--write]
set -euo pipefail
cd "$(dirname "$0")/.."
agent=$1
doc=docs/configuration.md
table=$("$agent" --help-config)
if [ "${2:-}" = "--write" ]; then
  python3 - "$doc" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
start = text.index("## Keys\n") + len("## Keys\n")
end = text.index("\n## ", start)
open(path, "w").write(text[:start] + "\n" + table.strip() + "\n" + text[end:])
PY
fi
missing=0
while IFS= read -r line; do
  if ! grep -qxF -- "$line" "$doc"; then
    echo "docs/configuration.md lacks: $line"
    missing=1
  fi
done <<<"$table"
[ "$missing" = 0 ] && echo "configuration.md: every key is documented"
exit "$missing"
