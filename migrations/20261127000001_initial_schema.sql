-- Vireo's schema. Every configuration of a VM, Template or Pool is one `VmConfig` (app/src/domain/vm_config.rs)
-- stored as JSONB; the columns grids filter and sort on are generated from it, so the JSON stays the single
-- source of truth and those columns can still be indexed.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clusters (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    description        text NOT NULL DEFAULT '',
    compat_version     text NOT NULL CHECK (compat_version IN ('4.1','4.2','4.3','4.4','4.5','4.6','4.7','4.8')),
    cpu_arch           text NOT NULL DEFAULT 'x86_64',
    ksm_enabled        boolean NOT NULL DEFAULT true,
    ballooning_enabled boolean NOT NULL DEFAULT true,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hosts (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    cluster_id         uuid NOT NULL REFERENCES clusters (id),
    uri                text NOT NULL UNIQUE,
    status             text NOT NULL CHECK (status IN ('up', 'non_responsive', 'maintenance')),
    -- Test-driver hosts: the shipped capabilities file their topology comes from; NULL for real hosts.
    simulated_topology text,
    -- HostTopology (app/src/domain/host_topology.rs), free page counts included.
    topology           jsonb NOT NULL,
    ksm_running        boolean,
    last_error         text,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_cluster_idx ON hosts (cluster_id);

CREATE TABLE os_types (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    family     text NOT NULL CHECK (family IN ('linux', 'windows', 'other')),
    sort_order integer NOT NULL
);

INSERT INTO os_types (id, name, family, sort_order) VALUES
    ('other',         'Other OS',                         'other',    10),
    ('other_linux',   'Linux',                            'linux',    20),
    ('rhel_8x64',     'Red Hat Enterprise Linux 8.x x64', 'linux',    30),
    ('rhel_9x64',     'Red Hat Enterprise Linux 9.x x64', 'linux',    40),
    ('centos_9x64',   'CentOS Stream 9 x64',              'linux',    50),
    ('debian_12',     'Debian 12',                        'linux',    60),
    ('ubuntu_22_04',  'Ubuntu 22.04 LTS',                 'linux',    70),
    ('ubuntu_24_04',  'Ubuntu 24.04 LTS',                 'linux',    80),
    ('sles_15',       'SUSE Linux Enterprise Server 15',  'linux',    90),
    ('windows_10x64', 'Windows 10 x64',                   'windows', 100),
    ('windows_11',    'Windows 11',                       'windows', 110),
    ('windows_2019x64','Windows Server 2019',             'windows', 120),
    ('windows_2022',  'Windows Server 2022',              'windows', 130);

-- An instance type sets memory, CPU topology and a few hardware settings on top of a VM's profile; it
-- never sets Optimized for. `spec` is InstanceTypeSpec: every field optional, absent = leave the VM's.
CREATE TABLE instance_types (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    description text NOT NULL DEFAULT '',
    spec        jsonb NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE templates (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    description   text NOT NULL DEFAULT '',
    -- NULL only for the built-in Blank template, which belongs to every cluster.
    cluster_id    uuid REFERENCES clusters (id),
    config        jsonb NOT NULL,
    optimized_for text GENERATED ALWAYS AS (config ->> 'optimized_for') STORED,
    os_type       text GENERATED ALWAYS AS (config ->> 'os_type') STORED,
    memory_mib    bigint GENERATED ALWAYS AS ((config ->> 'memory_mib')::bigint) STORED,
    vcpus         integer GENERATED ALWAYS AS (
                      (config -> 'cpu' ->> 'sockets')::integer * (config -> 'cpu' ->> 'cores')::integer
                      * (config -> 'cpu' ->> 'threads')::integer) STORED,
    stateless     boolean GENERATED ALWAYS AS ((config ->> 'stateless')::boolean) STORED,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vm_pools (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    description   text NOT NULL DEFAULT '',
    cluster_id    uuid NOT NULL REFERENCES clusters (id),
    template_id   uuid NOT NULL REFERENCES templates (id),
    size          integer NOT NULL CHECK (size BETWEEN 0 AND 1000),
    prestarted    integer NOT NULL DEFAULT 0 CHECK (prestarted >= 0 AND prestarted <= size),
    -- The configuration the pool's VMs get: the template's, with Optimized for and settings overridable.
    config        jsonb NOT NULL,
    optimized_for text GENERATED ALWAYS AS (config ->> 'optimized_for') STORED,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vms (
    id               uuid PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    description      text NOT NULL DEFAULT '',
    cluster_id       uuid NOT NULL REFERENCES clusters (id),
    template_id      uuid NOT NULL REFERENCES templates (id),
    pool_id          uuid REFERENCES vm_pools (id) ON DELETE SET NULL,
    instance_type_id uuid REFERENCES instance_types (id) ON DELETE SET NULL,
    -- The host the VM runs on (or last ran on); placement preferences are in config.
    host_id          uuid REFERENCES hosts (id) ON DELETE SET NULL,
    config           jsonb NOT NULL,
    -- Changes saved while the VM runs that need a restart; applied and cleared at the next start.
    next_run_config  jsonb,
    status           text NOT NULL DEFAULT 'down' CHECK (status IN
                         ('down', 'powering_up', 'up', 'powering_down', 'rebooting', 'paused', 'unknown')),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    optimized_for    text GENERATED ALWAYS AS (config ->> 'optimized_for') STORED,
    os_type          text GENERATED ALWAYS AS (config ->> 'os_type') STORED,
    memory_mib       bigint GENERATED ALWAYS AS ((config ->> 'memory_mib')::bigint) STORED,
    vcpus            integer GENERATED ALWAYS AS (
                         (config -> 'cpu' ->> 'sockets')::integer * (config -> 'cpu' ->> 'cores')::integer
                         * (config -> 'cpu' ->> 'threads')::integer) STORED,
    stateless        boolean GENERATED ALWAYS AS ((config ->> 'stateless')::boolean) STORED,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vms_cluster_idx ON vms (cluster_id);
CREATE INDEX vms_host_idx ON vms (host_id);
CREATE INDEX vms_pool_idx ON vms (pool_id);
CREATE INDEX vms_template_idx ON vms (template_id);

-- Audit log: one row for every write (and every refused write), with who and the result.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    username    text,
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
    action      text NOT NULL,
    object_kind text NOT NULL,
    object_id   uuid,
    object_name text,
    result      text NOT NULL CHECK (result IN ('success', 'failure')),
    message     text NOT NULL,
    details     jsonb
);
CREATE INDEX events_at_idx ON events (at DESC, id DESC);
CREATE INDEX events_object_idx ON events (object_kind, object_id, at DESC);

-- The built-in Blank template every VM can start from (a fixed id, as oVirt's blank template has one).
INSERT INTO templates (id, name, description, cluster_id, config) VALUES (
    '00000000-0000-0000-0000-000000000000', 'Blank', 'Blank template', NULL,
    '{"optimized_for": "server", "os_type": "other", "memory_mib": 1024,
      "cpu": {"sockets": 1, "cores": 1, "threads": 1}, "stateless": false,
      "headless": false, "serial_console": false, "usb_enabled": true, "soundcard_enabled": false,
      "placement_hosts": [], "migration": "migratable", "cpu_passthrough": false, "invtsc": false,
      "high_availability": false, "watchdog": false, "io_threads": 0, "memory_balloon": true,
      "cpu_pinning": [], "emulator_pin": null, "io_thread_pins": [], "numa_nodes": [],
      "numa_tune_mode": "strict", "ksm_disabled": false, "huge_pages": null}'::jsonb
);
