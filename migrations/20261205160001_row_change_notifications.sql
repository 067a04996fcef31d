-- Change announcements name the rows that changed, and only real changes are announced
-- (issue 16: a thousand open browsers). Before, each statement on vms/hosts/... announced its
-- table even when it changed nothing (the reconcile's status writes every 2 s), and every
-- browser then refetched whatever it showed.
--
-- One NOTIFY per statement on 'vireo_changes', in the text form app/src/domain/live_changes.rs
-- reads (and README's "Live updates" describes):
--   'vms:ID,ID'  only these rows changed in place;
--   'vms'        rows were added or removed, a row was renamed (which moves it in a grid sorted
--                by name), or more than 64 changed;
--   nothing     when the statement changed no row (an UPDATE writing the values already there).
-- Statement triggers with transition tables see all of a statement's rows at once, so a
-- 10,000-row statement is one notification (and PostgreSQL folds identical ones within a
-- transaction: a seed of 10,000 single-row INSERTs is one 'vms').

-- Tables whose rows have an `id` and a `name` (what the grids list).
CREATE FUNCTION vireo_announce_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
    renamed boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Ids never change in Vireo, so old and new rows pair up by id.
        SELECT array_agg(n.id::text ORDER BY n.id), coalesce(bool_or(n.name IS DISTINCT FROM o.name), false)
          INTO changed, renamed
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE n IS DISTINCT FROM o;
        IF changed IS NULL THEN
            RETURN NULL;
        END IF;
        IF renamed OR cardinality(changed) > 64 THEN
            PERFORM pg_notify('vireo_changes', TG_TABLE_NAME);
        ELSE
            PERFORM pg_notify('vireo_changes', TG_TABLE_NAME || ':' || array_to_string(changed, ','));
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM new_rows) THEN
            PERFORM pg_notify('vireo_changes', TG_TABLE_NAME);
        END IF;
    ELSIF EXISTS (SELECT 1 FROM old_rows) THEN
        PERFORM pg_notify('vireo_changes', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$;

-- New events name the objects they are about, so a VM's Events sub-tab refetches for its own.
CREATE FUNCTION vireo_announce_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    objects text[];
    unnamed boolean;
BEGIN
    SELECT array_agg(DISTINCT object_id::text), coalesce(bool_or(object_id IS NULL), false)
      INTO objects, unnamed
      FROM new_rows;
    IF objects IS NULL AND NOT unnamed THEN
        RETURN NULL;
    END IF;
    IF unnamed OR cardinality(objects) > 64 THEN
        PERFORM pg_notify('vireo_changes', 'events');
    ELSE
        PERFORM pg_notify('vireo_changes', 'events:' || array_to_string(objects, ','));
    END IF;
    RETURN NULL;
END;
$$;

-- The guests' reported addresses are a column of the VMs grid: a change to them is an in-place
-- change of those VMs.
CREATE FUNCTION vireo_announce_vm_addresses() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    vms text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT n.vm_id::text) INTO vms
          FROM new_rows n JOIN old_rows o ON (o.vm_id, o.mac, o.name) = (n.vm_id, n.mac, n.name)
         WHERE n.addresses IS DISTINCT FROM o.addresses;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT vm_id::text) INTO vms FROM new_rows;
    ELSE
        SELECT array_agg(DISTINCT vm_id::text) INTO vms FROM old_rows;
    END IF;
    IF vms IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(vms) > 64 THEN
        PERFORM pg_notify('vireo_changes', 'vms');
    ELSE
        PERFORM pg_notify('vireo_changes', 'vms:' || array_to_string(vms, ','));
    END IF;
    RETURN NULL;
END;
$$;

-- Host network backings have no id of their own, and users are announced without theirs: the
-- table alone, when a row really changed.
CREATE FUNCTION vireo_announce_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT * FROM new_rows EXCEPT SELECT * FROM old_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('vireo_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

DROP TRIGGER vms_changed ON vms;
DROP TRIGGER hosts_changed ON hosts;
DROP TRIGGER templates_changed ON templates;
DROP TRIGGER vm_pools_changed ON vm_pools;
DROP TRIGGER clusters_changed ON clusters;
DROP TRIGGER events_changed ON events;
DROP TRIGGER storage_domains_changed ON storage_domains;
DROP TRIGGER disks_changed ON disks;
DROP TRIGGER networks_changed ON networks;
DROP TRIGGER vnic_profiles_changed ON vnic_profiles;
DROP TRIGGER host_network_backings_changed ON host_network_backings;
DROP TRIGGER vm_reported_nics_changed ON vm_reported_nics;
DROP TRIGGER data_centers_changed ON data_centers;
DROP FUNCTION vireo_notify_change();
DROP FUNCTION vireo_notify_vms_change();

-- A trigger with transition tables handles one kind of statement: three per table.
DO $$
DECLARE
    t record;
    op text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('vms', 'vireo_announce_rows'),
        ('hosts', 'vireo_announce_rows'),
        ('templates', 'vireo_announce_rows'),
        ('vm_pools', 'vireo_announce_rows'),
        ('clusters', 'vireo_announce_rows'),
        ('data_centers', 'vireo_announce_rows'),
        ('storage_domains', 'vireo_announce_rows'),
        ('disks', 'vireo_announce_rows'),
        ('networks', 'vireo_announce_rows'),
        ('vnic_profiles', 'vireo_announce_rows'),
        ('instance_types', 'vireo_announce_rows'),
        ('vm_reported_nics', 'vireo_announce_vm_addresses'),
        ('host_network_backings', 'vireo_announce_table'),
        -- Users: the table alone (every logged-in browser hears the announcements; which accounts
        -- changed is an admin's business).
        ('users', 'vireo_announce_table')
    ) AS v (tbl, fn)
    LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format(
                'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %I()',
                t.tbl || '_announce_' || op,
                upper(op),
                t.tbl,
                CASE op
                    WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                    WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                    ELSE 'OLD TABLE AS old_rows'
                END,
                t.fn
            );
        END LOOP;
    END LOOP;
END;
$$;

-- The audit log only grows.
CREATE TRIGGER events_announce_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_announce_events();
