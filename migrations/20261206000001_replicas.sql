-- Replicas (issue 17): what one Vireo process used to keep in memory, shared by every process on
-- this database, so that several replicas behind a load balancer agree.

-- Per VM: when a lifecycle operation on it last began or ended, and whether Vireo itself is
-- stopping it. The reconciling leader leaves alone a VM an operation touched after it read libvirt
-- (its read may predate that operation, on whichever replica it ran), and a VM going down that a
-- replica is stopping is not a crash for HA. A row rather than a lock because it must outlive the
-- operation; it is crash-safe because a mark only counts while it is recent (a replica that died
-- between marking and stopping cannot leave a VM excluded from HA for good), and rows go with
-- their VM. The operation itself is serialised by a session-level advisory lock (see
-- server/src/service/operations.rs), which PostgreSQL drops with a dead replica's session.
CREATE TABLE vm_operation_state (
    vm_id         uuid PRIMARY KEY REFERENCES vms (id) ON DELETE CASCADE,
    touched_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    expected_down boolean NOT NULL DEFAULT false
);
-- Every reconcile pass asks for the rows touched since it read libvirt, or marked: both few.
CREATE INDEX vm_operation_state_touched ON vm_operation_state (touched_at);
CREATE INDEX vm_operation_state_expected ON vm_operation_state (vm_id) WHERE expected_down;

-- The login throttle's failures per key ("user:<name>", "addr:<client>"), so that a guesser
-- spreading attempts over the replicas meets one lockout. Rows are forgotten after their lock
-- window (the leader deletes them); `last_at` orders the eviction beyond the bound.
CREATE TABLE login_failures (
    key     text PRIMARY KEY,
    count   integer NOT NULL,
    last_at timestamptz NOT NULL
);
CREATE INDEX login_failures_last_at ON login_failures (last_at);
