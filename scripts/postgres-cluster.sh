#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for tests, benchmarks and trying the shared store.
#   scripts/postgres-cluster.sh start DIR [PORT]   initdb in DIR (when new), start it on PORT (default:
#                                                  a free one), create database "synthlab"; prints its URL
#   scripts/postgres-cluster.sh stop DIR           stop it (DIR stays; rm -rf it to forget the data)
#   scripts/postgres-cluster.sh url DIR            the URL of a started cluster
# The server refuses to run as root, so as root it runs as the unprivileged user "postgres" (created
# by Debian's postgresql package, which `scripts/install-deps.sh --test` installs). It listens on
# 127.0.0.1 only, with trust authentication: for tests and local trials, never for shared data.
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|url DIR [PORT]" >&2
  exit 2
fi
bin=""
for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/initdb" ] && bin="$candidate"; done
if [ -z "$bin" ]; then
  echo "error: PostgreSQL's server is not installed (hint: scripts/install-deps.sh --test, or apt-get install postgresql)" >&2
  exit 1
fi
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  as_user=(runuser -u postgres --)
fi

case "$command" in
start)
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ ${#as_user[@]} -gt 0 ] && chown postgres "$dir" && chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${as_user[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  port="${3:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
  "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=200 -c fsync=on" start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; exit 1; }
  "${as_user[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'synthlab'" | grep -q 1 \
    || "${as_user[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -c "CREATE DATABASE synthlab" >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/synthlab" | tee "$dir/url"
  ;;
stop)
  [ -f "$dir/data/postmaster.pid" ] || exit 0
  "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
url)
  cat "$dir/url"
  ;;
*)
  echo "usage: $0 start|stop|url DIR [PORT]" >&2
  exit 2
  ;;
esac
