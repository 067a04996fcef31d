-- Storage (issue 12): storage domains are libvirt storage pools on a host, disks are volumes in
-- them. Attachments live in each VM's, Template's and Pool's configuration (VmConfig.disks and
-- .cdrom); `disk_attachments` mirrors them, kept by a trigger whatever code path writes a
-- configuration, so the database itself refuses to delete a disk that is attached anywhere.

CREATE TABLE storage_domains (
    id               uuid PRIMARY KEY,
    host_id          uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    -- The libvirt pool's name (unique per host).
    name             text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    pool_uuid        uuid,
    pool_type        text NOT NULL CHECK (char_length(pool_type) BETWEEN 1 AND 32),
    path             text NOT NULL DEFAULT '' CHECK (char_length(path) <= 4096),
    capacity_bytes   bigint NOT NULL DEFAULT 0 CHECK (capacity_bytes >= 0),
    allocation_bytes bigint NOT NULL DEFAULT 0 CHECK (allocation_bytes >= 0),
    available_bytes  bigint NOT NULL DEFAULT 0 CHECK (available_bytes >= 0),
    status           text NOT NULL CHECK (status IN ('active', 'inactive', 'unknown')),
    refreshed_at     timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host_id, name)
);

CREATE TABLE disks (
    id                uuid PRIMARY KEY,
    -- The user's alias; not unique (as oVirt's), the volume name below is.
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    description       text NOT NULL DEFAULT '' CHECK (char_length(description) <= 4000),
    storage_domain_id uuid NOT NULL REFERENCES storage_domains (id) ON DELETE RESTRICT,
    -- libvirt's volume name: made from the id by Vireo, never user text.
    volume_name       text NOT NULL,
    -- The volume's path on its host, as libvirt reports it.
    path              text NOT NULL DEFAULT '' CHECK (char_length(path) <= 4096),
    format            text NOT NULL CHECK (format IN ('qcow2', 'raw', 'iso')),
    content           text NOT NULL DEFAULT 'data' CHECK (content IN ('data', 'iso')),
    provisioned_bytes bigint NOT NULL CHECK (provisioned_bytes >= 0),
    actual_bytes      bigint NOT NULL DEFAULT 0 CHECK (actual_bytes >= 0),
    sparse            boolean NOT NULL DEFAULT true,
    -- A thin overlay's base (a template's disk); the base cannot go while overlays exist.
    backing_disk_id   uuid REFERENCES disks (id) ON DELETE RESTRICT,
    status            text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'locked', 'illegal')),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (storage_domain_id, volume_name)
);
CREATE INDEX disks_storage_domain_idx ON disks (storage_domain_id);
CREATE INDEX disks_backing_idx ON disks (backing_disk_id) WHERE backing_disk_id IS NOT NULL;
CREATE INDEX disks_name_idx ON disks (lower(name));

CREATE TABLE disk_attachments (
    disk_id    uuid NOT NULL REFERENCES disks (id) ON DELETE RESTRICT,
    owner_kind text NOT NULL CHECK (owner_kind IN ('vm', 'template', 'pool')),
    owner_id   uuid NOT NULL,
    PRIMARY KEY (owner_id, disk_id)
);
CREATE INDEX disk_attachments_disk_idx ON disk_attachments (disk_id);

-- Rewrites the owner's rows from its configuration (and a VM's next-run configuration): every
-- disk in `disks`, and the CD-ROM's ISO.
CREATE FUNCTION vireo_sync_disk_attachments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_json jsonb;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM disk_attachments WHERE owner_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        row_json := to_jsonb(NEW);
        INSERT INTO disk_attachments (disk_id, owner_kind, owner_id)
        SELECT DISTINCT d::uuid, TG_ARGV[0], NEW.id
        FROM (
            SELECT jsonb_array_elements(
                       CASE WHEN jsonb_typeof(c -> 'disks') = 'array' THEN c -> 'disks' ELSE '[]' END
                   ) ->> 'disk_id' AS d
            FROM (VALUES (row_json -> 'config'), (row_json -> 'next_run_config')) AS cfg (c)
            UNION
            SELECT c ->> 'cdrom'
            FROM (VALUES (row_json -> 'config'), (row_json -> 'next_run_config')) AS cfg (c)
        ) ids
        WHERE d IS NOT NULL;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vms_disk_attachments AFTER INSERT OR DELETE OR UPDATE OF config, next_run_config ON vms
    FOR EACH ROW EXECUTE FUNCTION vireo_sync_disk_attachments('vm');
CREATE TRIGGER templates_disk_attachments AFTER INSERT OR DELETE OR UPDATE OF config ON templates
    FOR EACH ROW EXECUTE FUNCTION vireo_sync_disk_attachments('template');
CREATE TRIGGER vm_pools_disk_attachments AFTER INSERT OR DELETE OR UPDATE OF config ON vm_pools
    FOR EACH ROW EXECUTE FUNCTION vireo_sync_disk_attachments('pool');

-- Per row, unlike the other tables' per-statement triggers: the periodic storage sync runs
-- statements that usually change nothing, and a statement trigger would announce a change (and
-- make every open grid refetch) every 30 seconds. PostgreSQL folds identical notifications of one
-- transaction into one, so a statement that changes many rows still sends one.
CREATE TRIGGER storage_domains_changed AFTER INSERT OR UPDATE OR DELETE ON storage_domains
    FOR EACH ROW EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER disks_changed AFTER INSERT OR UPDATE OR DELETE ON disks
    FOR EACH ROW EXECUTE FUNCTION vireo_notify_change();
