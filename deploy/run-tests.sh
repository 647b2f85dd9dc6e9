#!/usr/bin/env bash
# Runs the whole test suite. The integration fixtures take RabbitMQ and PostgreSQL from
# AMQP_URI and TEST_DATABASE_URL, Redis from REDIS_URL (or start containers when Docker
# answers); on a machine where they run locally, this script names them, so `make test`
# needs no set-up.
set -euo pipefail
cd "$(dirname "$0")/.."

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if [ -z "${AMQP_URI:-}" ] && port_open 127.0.0.1 5672; then
  export AMQP_URI="amqp://guest:guest@127.0.0.1:5672/"
  echo "tests: using the local RabbitMQ ($AMQP_URI)"
fi
if [ -z "${TEST_DATABASE_URL:-}" ] && port_open 127.0.0.1 5432; then
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/postgres"
  echo "tests: using the local PostgreSQL ($TEST_DATABASE_URL)"
fi
if [ -z "${REDIS_URL:-}" ] && port_open 127.0.0.1 6379; then
  export REDIS_URL="redis://127.0.0.1:6379/0"
  echo "tests: using the local Redis ($REDIS_URL)"
fi
exec .venv/bin/python -m pytest "$@"
