-- CPU features to disable under host-passthrough on a host (a per-host quirk list). Vireo learns
-- entries itself: e.g. nested KVM hosts that cannot pass `arch-capabilities` through ("failed to set
-- MSR 0x10a") get it added after the first refused start.
ALTER TABLE hosts ADD COLUMN disabled_cpu_features text[] NOT NULL DEFAULT '{}';
