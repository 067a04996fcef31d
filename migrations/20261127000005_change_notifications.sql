-- Every change to what the grids show is announced on the 'vireo_changes' channel (one
-- notification per statement, naming the table). The server LISTENs and pushes it to browsers
-- (server-sent events), so grids update without reloads whoever made the change.
CREATE FUNCTION vireo_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vireo_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER vms_changed AFTER INSERT OR UPDATE OR DELETE ON vms
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER hosts_changed AFTER INSERT OR UPDATE OR DELETE ON hosts
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER templates_changed AFTER INSERT OR UPDATE OR DELETE ON templates
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER vm_pools_changed AFTER INSERT OR UPDATE OR DELETE ON vm_pools
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER clusters_changed AFTER INSERT OR UPDATE OR DELETE ON clusters
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
CREATE TRIGGER events_changed AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_change();
