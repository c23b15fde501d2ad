# Sourced by test.sh: Debian's PostgreSQL server for the database tests, which start a
# throwaway cluster of their own (tests/pgcluster.py). Installed with apt-get when missing
# and we may; otherwise the tests say what to install (and fail instead of skipping when
# JIHUA_REQUIRE_POSTGRES is set, as CI does).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing postgresql and postgresql-contrib with apt-get (log: .venv/apt-postgres.log)" >&2
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        postgresql postgresql-contrib; } >.venv/apt-postgres.log 2>&1 || {
      tail -n 20 .venv/apt-postgres.log >&2
      echo "apt-get could not install postgresql; the PostgreSQL tests will say so" >&2
    }
  else
    echo "the PostgreSQL server is missing: as root, apt-get install postgresql postgresql-contrib" >&2
  fi
fi
