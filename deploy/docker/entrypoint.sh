#!/bin/sh
# Container entrypoint of the Hromada image (deploy/Dockerfile).
#
#   entrypoint.sh accounts|intake|routing|feedback|gamification
#                 (any services/<name>/ with a config.yml)  wait for RabbitMQ and the service's
#                                                         database, apply its migrations, run it
#   entrypoint.sh gateway                                 wait for RabbitMQ, run the gateway
#   entrypoint.sh migrate SERVICE                         wait, apply SERVICE's migrations, exit
#   entrypoint.sh demo-seed [BASE_URL]                    wait for the gateway's /ready, seed the demo city
#   entrypoint.sh anything else ...                       run it as given (e.g. python -m deploy.ops ...)
#
# Environment (see docs/operations.md): AMQP_URI, <SERVICE>_DATABASE_URL, GATEWAY_ADDRESS,
# JWT_PUBLIC_KEY_FILE (JWT_PRIVATE_KEY_FILE for accounts), REDIS_URL (gateway),
# HROMADA_WAIT_TIMEOUT (seconds to wait for dependencies, default 120),
# HROMADA_SKIP_MIGRATIONS=1 (run the service without migrating: migrations applied elsewhere).
set -eu

APP_DIR=${HROMADA_APP_DIR:-/app}
PRESTART="$APP_DIR/deploy/docker/prestart.py"

usage() {
    echo "usage: entrypoint.sh accounts|intake|routing|feedback|gamification|gateway" >&2
    echo "       entrypoint.sh migrate accounts|intake|routing|feedback|gamification" >&2
    echo "       entrypoint.sh demo-seed [BASE_URL]" >&2
    echo "       entrypoint.sh COMMAND [ARG...]" >&2
}

# A service is any directory services/<name>/ with a config.yml (accounts, intake, routing,
# feedback, gamification, and whichever is added next).
is_service() {
    case "$1" in */*|.*|"") return 1 ;; esac
    [ -f "$APP_DIR/services/$1/config.yml" ]
}

case "${1:-help}" in
    gateway)
        python "$PRESTART" wait gateway
        cd "$APP_DIR/gateway"
        exec nameko run --config config.yml gateway.service
        ;;
    migrate)
        if [ $# -ne 2 ] || ! is_service "$2"; then usage; exit 64; fi
        exec python "$PRESTART" migrate "$2"
        ;;
    demo-seed)
        shift
        exec python "$PRESTART" demo-seed "$@"
        ;;
    help|-h|--help)
        usage
        exit 64
        ;;
    *)
        if ! is_service "$1"; then
            exec "$@"
        fi
        service=$1
        if [ "${HROMADA_SKIP_MIGRATIONS:-0}" = "1" ]; then
            python "$PRESTART" wait "$service"
        else
            python "$PRESTART" migrate "$service"
        fi
        cd "$APP_DIR/services/$service"
        exec nameko run --config config.yml "$service.service"
        ;;
esac
