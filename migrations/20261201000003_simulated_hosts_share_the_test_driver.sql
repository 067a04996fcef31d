-- Simulated hosts all run on libvirt's one test driver: Vireo builds their URI as `test:///default`
-- (or `test+unix:///default` through libvirtd) and refuses every other test-driver URI, because the
-- test driver reads any other path as a file. So several simulated hosts share a URI; real hosts
-- keep one row per URI.
ALTER TABLE hosts DROP CONSTRAINT hosts_uri_key;
CREATE UNIQUE INDEX hosts_real_uri_key ON hosts (uri) WHERE simulated_topology IS NULL;
