-- Data centers: oVirt's top level (data center → clusters → hosts). A cluster belongs to exactly
-- one; its compatibility version may not be below its data center's (the service checks it, as the
-- engine does). Existing databases get a "Default" data center owning every cluster; a new
-- database gets it from the first run (service/bootstrap.rs).
CREATE TABLE data_centers (
    id             uuid PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
    description    text NOT NULL DEFAULT '' CHECK (char_length(description) <= 4000),
    compat_version text NOT NULL CHECK (compat_version IN ('4.1','4.2','4.3','4.4','4.5','4.6','4.7','4.8')),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

INSERT INTO data_centers (id, name, description, compat_version)
SELECT gen_random_uuid(), 'Default', 'The default data center',
       (SELECT min(compat_version) FROM clusters)
WHERE EXISTS (SELECT 1 FROM clusters);

ALTER TABLE clusters ADD COLUMN data_center_id uuid REFERENCES data_centers (id);
UPDATE clusters SET data_center_id = (SELECT id FROM data_centers WHERE name = 'Default');
ALTER TABLE clusters ALTER COLUMN data_center_id SET NOT NULL;
CREATE INDEX clusters_data_center_idx ON clusters (data_center_id);

CREATE TRIGGER data_centers_changed AFTER INSERT OR UPDATE OR DELETE ON data_centers
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
