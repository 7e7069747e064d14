#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests that run the store on PostgreSQL (docs/testing.md,
# "PostgreSQL"): its own cluster in DIR, trust authentication on loopback only, a free port.
#
#   pg-server.sh start DIR   initdb in DIR, start the server, wait until it accepts connections,
#                            write its connection URI (postgresql://postgres@127.0.0.1:PORT/postgres)
#                            to DIR/url
#   pg-server.sh stop DIR    stop that server and remove DIR (succeeds when nothing runs there)
#
# The binaries come from `pg_config --bindir` (Debian: /usr/lib/postgresql/15/bin). initdb and
# postgres refuse to run as root, so as root they run as the `postgres` user, in a directory that
# user owns. Nothing here is meant for real data: it is fast because it does not care about crashes.
set -euo pipefail

usage() {
  echo "usage: pg-server.sh start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
command=$1
dir=$2
case "$dir" in
  /*) ;;
  *) dir="$PWD/$dir" ;;
esac

say() { echo "pg-server: $*" >&2; }

find_bindir() {
  local bindir=""
  if command -v pg_config >/dev/null 2>&1; then
    bindir=$(pg_config --bindir)
  fi
  if [ ! -x "$bindir/initdb" ]; then
    # pg_config from libpq-dev alone names the server's directory even when the server is not
    # installed; Debian's server keeps its binaries per major version.
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    say "no PostgreSQL server binaries (initdb, pg_ctl) found; install Debian's postgresql"
    exit 1
  fi
  echo "$bindir"
}

# Runs a server binary as the user that owns the cluster: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The cluster lives in DIR/cluster unless DIR is out of the postgres user's reach (a build tree
# under /root): then in a private directory under /tmp whose path DIR/cluster-path records.
cluster_of() {
  if [ -f "$dir/cluster-path" ]; then
    cat "$dir/cluster-path"
  else
    echo "$dir/cluster"
  fi
}

port_in_use() {
  # A connection that succeeds means someone listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stop_server() {
  local bindir cluster
  [ -d "$dir" ] || return 0
  cluster=$(cluster_of)
  if [ -f "$cluster/data/postmaster.pid" ]; then
    bindir=$(find_bindir)
    # immediate: the data is thrown away next, so there is nothing to write out first.
    as_owner "$bindir/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "$cluster" != "$dir/cluster" ]; then
    rm -rf "$cluster"
  fi
  rm -rf "$dir"
}

start_server() {
  local bindir cluster data port attempt
  bindir=$(find_bindir)
  stop_server # a server left behind by an interrupted run, and its files
  mkdir -p "$dir"
  cluster="$dir/cluster"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      say "running as root needs the postgres user (Debian's postgresql package creates it)"
      exit 1
    fi
    mkdir -p "$cluster"
    chown postgres: "$cluster"
    if ! runuser -u postgres -- test -w "$cluster"; then
      cluster=$(mktemp -d /tmp/gp-pg-test.XXXXXX)
      chown postgres: "$cluster"
      echo "$cluster" >"$dir/cluster-path"
      rm -rf "$dir/cluster"
    fi
  else
    mkdir -p "$cluster"
  fi
  # A unix socket path is limited to 107 bytes; a deep build tree gets a short one under /tmp.
  if [ ${#cluster} -gt 80 ]; then
    say "cluster path too long for a unix socket: $cluster"
    exit 1
  fi
  data="$cluster/data"

  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C \
    --no-sync >"$cluster/initdb.log" 2>&1 || {
    cat "$cluster/initdb.log" >&2
    say "initdb failed"
    exit 1
  }
  # Trust, but only over loopback and the socket inside the cluster: nobody else can connect.
  as_owner sh -c "cat >'$data/pg_hba.conf'" <<'EOF'
local all all trust
host all all 127.0.0.1/32 trust
EOF
  # fsync, synchronous_commit and full_page_writes off: the tests create and drop hundreds of
  # schemas and commit thousands of tiny transactions, and a test server's data is thrown away
  # anyway, so durability across an OS crash buys nothing here and costs most of the run time.
  # Parallel ctest runs many store tests and agents at once, each with a few connections.
  as_owner sh -c "cat >>'$data/postgresql.conf'" <<EOF

# gp-agent test server (tests/support/pg-server.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$cluster'
max_connections = 400
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    rm -f "$cluster/server.log"
    if as_owner "$bindir/pg_ctl" -D "$data" -l "$cluster/server.log" -w -t 60 \
      -o "-p $port" start >/dev/null 2>&1; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"
      say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($data)"
      return 0
    fi
    # Another process took the port between our check and the bind: try another one.
    if grep -q "could not bind\|Address already in use" "$cluster/server.log" 2>/dev/null; then
      say "port $port taken (attempt $attempt); trying another"
      continue
    fi
    cat "$cluster/server.log" >&2 || true
    say "the server did not start"
    exit 1
  done
  say "no free port found after 10 attempts"
  exit 1
}

case "$command" in
  start) start_server ;;
  stop) stop_server ;;
  *) usage ;;
esac
