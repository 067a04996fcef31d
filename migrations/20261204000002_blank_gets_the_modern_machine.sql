-- Issue 19: the Blank template holds the defaults of a new VM, which are now `virt-install`'s
-- modern machine: q35 and a virtio-rng device (configurations stored without these fields read as
-- i440fx and no RNG, which existing VMs keep). `new_draft` makes every new object q35 anyway.
UPDATE templates
SET config = config || '{"virtio_rng": true, "machine": "q35"}'::jsonb
WHERE id = '00000000-0000-0000-0000-000000000000';
