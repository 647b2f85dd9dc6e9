#!/usr/bin/env bash
# Run the accounts service with the config in this folder (environment variables override its defaults).
set -euo pipefail
cd "$(dirname "$0")"
exec nameko run --config config.yml accounts.service
