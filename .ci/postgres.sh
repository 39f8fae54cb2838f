#!/usr/bin/env bash
# Install and start a real PostgreSQL server (Debian package) for the storage tests.
# Prints (only) the URL the tests should use. Idempotent: safe to run on a machine that has it.
set -euo pipefail
setup() {
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='metamed'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE metamed LOGIN SUPERUSER PASSWORD 'metamed'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='metamed_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O metamed metamed_test"
}
setup >&2  # only the URL goes to standard output
echo "postgresql+psycopg://metamed:metamed@127.0.0.1:5432/metamed_test"
