-- Issue 19: the Blank template's new VMs get a virtio-rng device, as `virt-install` writes for a
-- modern guest (configurations stored without the field read it as off). Its machine is not
-- stored: every new object is made q35 by the `new_draft` rule, whatever its template says.
UPDATE templates
SET config = config || '{"virtio_rng": true}'::jsonb
WHERE id = '00000000-0000-0000-0000-000000000000';
