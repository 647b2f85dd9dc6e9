-- Run by the postgres image on its first start (an empty data directory), as POSTGRES_USER.
-- One database per service: a service never reads another's. Idempotent (\gexec only runs the
-- CREATE for a database that is missing), so it can also be run by hand:
--   docker compose exec -T postgres psql -U postgres < deploy/docker/postgres-init/01-hromada-databases.sql
SELECT format('CREATE DATABASE %I', name)
FROM unnest(ARRAY['hromada_accounts', 'hromada_intake', 'hromada_routing', 'hromada_feedback', 'hromada_gamification']) AS name
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name)\gexec
