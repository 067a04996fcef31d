-- Remote hosts over SSH (issue 17): the host key the admin confirmed when the host was added,
-- as "<type> <base64 blob>" (no host name, no comment). Vireo writes it into a per-host
-- known_hosts file under its data folder before connecting; libvirt's libssh transport then
-- accepts that key only. NULL for every other transport.
ALTER TABLE hosts ADD COLUMN ssh_host_key text
    CHECK (ssh_host_key IS NULL OR (length(ssh_host_key) BETWEEN 16 AND 8192 AND ssh_host_key ~ '^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$'));
