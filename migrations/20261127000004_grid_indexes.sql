-- Indexes that match the grids' filters and sorts (measured: a composite (filter, sort) index lets a
-- filtered, sorted page of 10,000 VMs be read in order instead of sorted after a scan).
CREATE INDEX vms_type_name_idx ON vms (optimized_for, name);
CREATE INDEX vms_status_name_idx ON vms (status, name);
CREATE INDEX vms_cluster_name_idx ON vms (cluster_id, name);
CREATE INDEX events_object_id_idx ON events (object_id, at DESC);
