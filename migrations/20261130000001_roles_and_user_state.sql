-- Roles: `operator` runs the VM estate (VMs, Templates, Pools) without touching hosts, clusters or users.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'operator', 'viewer'));

-- A disabled user cannot log in, and their sessions and API tokens stop working at once.
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
-- Bumped when the password changes or the user is disabled: a session remembers the epoch it was
-- made in and is void once the user's epoch has moved on.
ALTER TABLE users ADD COLUMN auth_epoch integer NOT NULL DEFAULT 1;
