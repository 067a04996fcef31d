-- Networks (issue 13): a network belongs to a cluster and is backed on each of its hosts by a
-- libvirt network or a host bridge of `backing_name`; vNIC profiles are a network plus options;
-- NICs live in each VM's, Template's and Pool's configuration (VmConfig.nics). Two tables mirror
-- the NICs, kept by a trigger whatever code path writes a configuration: `nic_profile_refs`
-- (so the database refuses to remove a profile or network a NIC uses) and `vm_nic_macs` (so no
-- two VMs ever hold one MAC).

CREATE TABLE networks (
    id           uuid PRIMARY KEY,
    cluster_id   uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    description  text NOT NULL DEFAULT '' CHECK (char_length(description) <= 4000),
    backing      text NOT NULL CHECK (backing IN ('libvirt_network', 'bridge')),
    backing_name text NOT NULL CHECK (char_length(backing_name) BETWEEN 1 AND 50),
    vlan_id      integer CHECK (vlan_id BETWEEN 1 AND 4094),
    is_default   boolean NOT NULL DEFAULT false,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, name)
);
-- One default network per cluster.
CREATE UNIQUE INDEX networks_one_default ON networks (cluster_id) WHERE is_default;

CREATE TABLE vnic_profiles (
    id             uuid PRIMARY KEY,
    network_id     uuid NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    description    text NOT NULL DEFAULT '' CHECK (char_length(description) <= 4000),
    network_filter text CHECK (network_filter IN
                       ('clean-traffic', 'no-mac-spoofing', 'no-ip-spoofing', 'no-arp-spoofing', 'allow-dhcp')),
    port_mirroring boolean NOT NULL DEFAULT false CHECK (NOT port_mirroring),
    multiqueue     boolean NOT NULL DEFAULT true,
    is_default     boolean NOT NULL DEFAULT false,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (network_id, name)
);
CREATE UNIQUE INDEX vnic_profiles_one_default ON vnic_profiles (network_id) WHERE is_default;

-- What each host has: its libvirt networks and its bridges (read from libvirt by the periodic
-- sync), so the Networks grid can say where a network's backing is present and where missing.
CREATE TABLE host_network_backings (
    host_id    uuid NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    backing    text NOT NULL CHECK (backing IN ('libvirt_network', 'bridge')),
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    active     boolean NOT NULL,
    -- A libvirt network's bridge device, when it has one.
    bridge     text NOT NULL DEFAULT '' CHECK (char_length(bridge) <= 255),
    PRIMARY KEY (host_id, backing, name)
);

-- Every NIC's profile, per owner (the owner's current and next-run configuration).
CREATE TABLE nic_profile_refs (
    vnic_profile_id uuid NOT NULL REFERENCES vnic_profiles (id) ON DELETE RESTRICT,
    owner_kind      text NOT NULL CHECK (owner_kind IN ('vm', 'template', 'pool')),
    owner_id        uuid NOT NULL,
    PRIMARY KEY (owner_id, vnic_profile_id)
);
CREATE INDEX nic_profile_refs_profile_idx ON nic_profile_refs (vnic_profile_id);

-- Every MAC a VM holds (current or next-run configuration). The key is the MAC alone: two VMs
-- cannot hold one, whatever writes their configurations.
CREATE TABLE vm_nic_macs (
    mac   macaddr PRIMARY KEY,
    vm_id uuid NOT NULL
);
CREATE INDEX vm_nic_macs_vm_idx ON vm_nic_macs (vm_id);

-- Where the next MAC is looked for (the range itself is configuration, VIREO_MAC_RANGE). The row
-- is locked by each allocation, so concurrent saves never pick the same address.
CREATE TABLE mac_pool_cursor (
    id       integer PRIMARY KEY CHECK (id = 1),
    next_mac bigint NOT NULL CHECK (next_mac BETWEEN 0 AND 281474976710655)
);
INSERT INTO mac_pool_cursor (id, next_mac) VALUES (1, 0);

CREATE FUNCTION vireo_sync_nic_refs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_json jsonb;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM nic_profile_refs WHERE owner_id = OLD.id;
        IF TG_ARGV[0] = 'vm' THEN
            DELETE FROM vm_nic_macs WHERE vm_id = OLD.id;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        row_json := to_jsonb(NEW);
        INSERT INTO nic_profile_refs (vnic_profile_id, owner_kind, owner_id)
        SELECT DISTINCT (n ->> 'vnic_profile_id')::uuid, TG_ARGV[0], NEW.id
        FROM (VALUES (row_json -> 'config'), (row_json -> 'next_run_config')) AS cfg (c),
             jsonb_array_elements(CASE WHEN jsonb_typeof(c -> 'nics') = 'array' THEN c -> 'nics' ELSE '[]' END) n
        WHERE n ->> 'vnic_profile_id' IS NOT NULL;
        IF TG_ARGV[0] = 'vm' THEN
            INSERT INTO vm_nic_macs (mac, vm_id)
            SELECT DISTINCT (n ->> 'mac')::macaddr, NEW.id
            FROM (VALUES (row_json -> 'config'), (row_json -> 'next_run_config')) AS cfg (c),
                 jsonb_array_elements(CASE WHEN jsonb_typeof(c -> 'nics') = 'array' THEN c -> 'nics' ELSE '[]' END) n
            WHERE n ->> 'mac' IS NOT NULL;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vms_nic_refs AFTER INSERT OR DELETE OR UPDATE OF config, next_run_config ON vms
    FOR EACH ROW EXECUTE FUNCTION vireo_sync_nic_refs('vm');
CREATE TRIGGER templates_nic_refs AFTER INSERT OR DELETE OR UPDATE OF config ON templates
    FOR EACH ROW EXECUTE FUNCTION vireo_sync_nic_refs('template');
CREATE TRIGGER vm_pools_nic_refs AFTER INSERT OR DELETE OR UPDATE OF config ON vm_pools
    FOR EACH ROW EXECUTE FUNCTION vireo_sync_nic_refs('pool');

-- The guest's NICs and addresses as libvirt last reported them (running VMs; cleared at stop).
CREATE TABLE vm_reported_nics (
    vm_id       uuid NOT NULL REFERENCES vms (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) <= 255),
    mac         text NOT NULL CHECK (char_length(mac) <= 64),
    addresses   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(addresses) <= 64),
    reported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vm_id, mac, name)
);

-- The VM grid shows the addresses: a change to them is a change to the VMs grid.
CREATE FUNCTION vireo_notify_vms_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vireo_changes', 'vms');
    RETURN NULL;
END;
$$;
CREATE TRIGGER vm_reported_nics_changed AFTER INSERT OR UPDATE OR DELETE ON vm_reported_nics
    FOR EACH ROW EXECUTE FUNCTION vireo_notify_vms_change();

-- Per row, as storage's: the periodic sync's statements usually change nothing.
CREATE TRIGGER networks_changed AFTER INSERT OR UPDATE OR DELETE ON networks
    FOR EACH ROW EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER vnic_profiles_changed AFTER INSERT OR UPDATE OR DELETE ON vnic_profiles
    FOR EACH ROW EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER host_network_backings_changed AFTER INSERT OR UPDATE OR DELETE ON host_network_backings
    FOR EACH ROW EXECUTE FUNCTION vireo_notify_change();

-- Every cluster has a default network on libvirt's `default` network, with its default profile
-- (as every oVirt cluster has ovirtmgmt). New clusters get theirs from the service.
INSERT INTO networks (id, cluster_id, name, description, backing, backing_name, is_default)
SELECT gen_random_uuid(), c.id, 'default', 'libvirt''s default NAT network', 'libvirt_network', 'default', true
FROM clusters c;
INSERT INTO vnic_profiles (id, network_id, name, is_default)
SELECT gen_random_uuid(), n.id, n.name, true FROM networks n;
