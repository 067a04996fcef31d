-- Live updates announced a table after every statement, even one that changed no row: the host
-- monitor's "UPDATE hosts … WHERE <status changed>" every 2 s made every open page refetch every
-- 2 s. Each statement-level trigger now sees the rows its statement changed (a transition table)
-- and notifies only when there are some. PostgreSQL allows a transition table on a trigger of one
-- event only, so each table gets one trigger per event, replacing its old one.
CREATE FUNCTION vireo_notify_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM pg_notify('vireo_changes', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT tg.tgname, c.relname
        FROM pg_trigger tg
        JOIN pg_class c ON c.oid = tg.tgrelid
        JOIN pg_proc p ON p.oid = tg.tgfoid
        WHERE p.proname = 'vireo_notify_change' AND NOT tg.tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t.tgname, t.relname);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows
             FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_rows()', t.relname || '_inserted', t.relname);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows
             FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_rows()', t.relname || '_updated', t.relname);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows
             FOR EACH STATEMENT EXECUTE FUNCTION vireo_notify_rows()', t.relname || '_deleted', t.relname);
    END LOOP;
END;
$$;

DROP FUNCTION vireo_notify_change();
