-- A few instance types so a fresh Vireo can show how they override a profile's memory and CPU.
INSERT INTO instance_types (id, name, description, spec) VALUES
    ('00000000-0000-0000-0001-000000000001', 'Tiny',   'Tiny: 512 MiB, 1 vCPU',
     '{"memory_mib": 512,  "cpu": {"sockets": 1, "cores": 1, "threads": 1}}'),
    ('00000000-0000-0000-0001-000000000002', 'Small',  'Small: 2 GiB, 1 vCPU',
     '{"memory_mib": 2048, "cpu": {"sockets": 1, "cores": 1, "threads": 1}}'),
    ('00000000-0000-0000-0001-000000000003', 'Medium', 'Medium: 4 GiB, 2 vCPUs',
     '{"memory_mib": 4096, "cpu": {"sockets": 1, "cores": 2, "threads": 1}}'),
    ('00000000-0000-0000-0001-000000000004', 'Large',  'Large: 8 GiB, 4 vCPUs, memory balloon',
     '{"memory_mib": 8192, "cpu": {"sockets": 1, "cores": 4, "threads": 1}, "memory_balloon": true}');

-- Which VMs are pinned to which host: the rules look up the CPUs and huge pages other VMs hold there.
CREATE INDEX vms_pinned_host_idx ON vms ((config -> 'placement_hosts' ->> 0));
