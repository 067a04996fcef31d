-- Issue 19: the host CPUs a running VM got at start under a CPU pinning policy (dedicated,
-- isolate_threads, resize_and_pin_numa, manual): `{"host_id": ..., "pins": StartPins}`. Set in the
-- start's reservation (under a per-host advisory lock, so two starts cannot take the same CPUs) and
-- cleared whenever the VM is marked down. NULL for VMs that are down or hold no CPUs.
ALTER TABLE vms ADD COLUMN runtime_pins jsonb;
CREATE INDEX vms_runtime_pins_host_idx ON vms ((runtime_pins ->> 'host_id')) WHERE runtime_pins IS NOT NULL;
