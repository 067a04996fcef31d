-- Issue 17: the General sub-tabs' usage charts. Every sampling interval (VIREO_SAMPLE_INTERVAL,
-- default 15 s) the host monitor writes one row per running VM and per Up host, and deletes rows
-- older than the retention (70 minutes: the charts show the last hour), so an object has at most
-- retention / interval rows. No foreign key: a row names a VM or a host, and a removed object's
-- rows age out within the retention. No change notification either: a sample every 15 s would make
-- every open page refetch; the charts refetch on the live updates that happen anyway.
CREATE TABLE usage_samples (
    object_kind text NOT NULL CHECK (object_kind IN ('vm', 'host')),
    object_id uuid NOT NULL,
    sampled_at timestamptz NOT NULL,
    cpu_percent real CHECK (cpu_percent BETWEEN 0 AND 100),
    memory_bytes bigint CHECK (memory_bytes >= 0),
    memory_percent real CHECK (memory_percent BETWEEN 0 AND 100),
    PRIMARY KEY (object_kind, object_id, sampled_at)
);
-- The retention's delete.
CREATE INDEX usage_samples_sampled_at_idx ON usage_samples (sampled_at);
