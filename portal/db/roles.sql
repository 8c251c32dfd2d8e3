-- The two PostgreSQL roles of Kundesenter (docs/configuration.md, "Database roles").
--
-- kundesenter_owner owns the tables. migrate, createcachetable and generate_cases
--     connect as it (DATABASE_OWNER_URL), and after every migrate and createcachetable
--     it grants the app role what the app needs (portal/db/roles.py).
-- kundesenter_app is what the web and worker processes connect as (DATABASE_URL).
--     It owns nothing, so it cannot TRUNCATE, ALTER TABLE (DISABLE TRIGGER) or
--     create tables; not being superuser, it cannot SET session_replication_role.
--     It may read and write the tables, and only read and add to the append-only ones.
--
-- Run it once per server as a superuser (or a role with CREATEROLE); running it again
-- changes nothing:
--
--     psql -h HOST -U postgres -v ON_ERROR_STOP=1 -f portal/db/roles.sql
--
-- then give both roles a password and create the database, owned by the owner:
--
--     psql -h HOST -U postgres -c '\password kundesenter_owner'
--     psql -h HOST -U postgres -c '\password kundesenter_app'
--     createdb -h HOST -U postgres --owner=kundesenter_owner kundesenter
--
-- Other role names: change them here and in the two URLs. The embedded server
-- (portal/db/embedded.py) runs this file on every start, and CI runs it against the
-- machine's server (.ci/run). Plain SQL, no psql commands, so both can.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kundesenter_owner') THEN
        CREATE ROLE kundesenter_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kundesenter_app') THEN
        CREATE ROLE kundesenter_app LOGIN;
    END IF;

    -- Whatever the roles were given before: neither is superuser or may get round
    -- row security or replicate, and the app role can create neither roles nor
    -- databases. (Only changed when needed: a CREATEROLE administrator on a managed
    -- server may not name these attributes at all.)
    IF EXISTS (
        SELECT FROM pg_roles
        WHERE rolname IN ('kundesenter_owner', 'kundesenter_app')
          AND (rolsuper OR rolbypassrls OR rolreplication)
    ) THEN
        ALTER ROLE kundesenter_owner NOSUPERUSER NOBYPASSRLS NOREPLICATION;
        ALTER ROLE kundesenter_app NOSUPERUSER NOBYPASSRLS NOREPLICATION;
    END IF;
    IF EXISTS (
        SELECT FROM pg_roles
        WHERE rolname = 'kundesenter_app' AND (rolcreaterole OR rolcreatedb)
    ) THEN
        ALTER ROLE kundesenter_app NOCREATEROLE NOCREATEDB;
    END IF;

    -- The app role must not be able to act as the owner (SET ROLE or inherited rights).
    IF EXISTS (
        SELECT FROM pg_auth_members
        WHERE roleid = 'kundesenter_owner'::regrole AND member = 'kundesenter_app'::regrole
    ) THEN
        REVOKE kundesenter_owner FROM kundesenter_app;
    END IF;
END
$$;
