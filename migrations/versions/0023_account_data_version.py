"""account.data_version (SQLite) and account_change (PostgreSQL): the version of an
account's data, which database triggers move on with every write to the tables below, so
that a process may keep the lists it made of an account's rows while it stays the same
(telephony.versioning, caching.account_fragment). The triggers' SQL is frozen here as it
was made at this revision.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TABLES = ('telephony_group', 'line', 'hardware', 'alias_number', 'number_pool', 'scheduled_task', 'offer', 'licence', 'service', 'invoice', 'invoice_line', 'validation_procedure')

SQLITE = (
    'DROP TRIGGER IF EXISTS telephony_group_data_version_insert',
    'CREATE TRIGGER telephony_group_data_version_insert AFTER INSERT ON telephony_group FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS telephony_group_data_version_update',
    'CREATE TRIGGER telephony_group_data_version_update AFTER UPDATE ON telephony_group FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS telephony_group_data_version_delete',
    'CREATE TRIGGER telephony_group_data_version_delete AFTER DELETE ON telephony_group FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS line_data_version_insert',
    'CREATE TRIGGER line_data_version_insert AFTER INSERT ON line FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS line_data_version_update',
    'CREATE TRIGGER line_data_version_update AFTER UPDATE ON line FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS line_data_version_delete',
    'CREATE TRIGGER line_data_version_delete AFTER DELETE ON line FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS hardware_data_version_insert',
    'CREATE TRIGGER hardware_data_version_insert AFTER INSERT ON hardware FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS hardware_data_version_update',
    'CREATE TRIGGER hardware_data_version_update AFTER UPDATE ON hardware FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS hardware_data_version_delete',
    'CREATE TRIGGER hardware_data_version_delete AFTER DELETE ON hardware FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS alias_number_data_version_insert',
    'CREATE TRIGGER alias_number_data_version_insert AFTER INSERT ON alias_number FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS alias_number_data_version_update',
    'CREATE TRIGGER alias_number_data_version_update AFTER UPDATE ON alias_number FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS alias_number_data_version_delete',
    'CREATE TRIGGER alias_number_data_version_delete AFTER DELETE ON alias_number FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS number_pool_data_version_insert',
    'CREATE TRIGGER number_pool_data_version_insert AFTER INSERT ON number_pool FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS number_pool_data_version_update',
    'CREATE TRIGGER number_pool_data_version_update AFTER UPDATE ON number_pool FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS number_pool_data_version_delete',
    'CREATE TRIGGER number_pool_data_version_delete AFTER DELETE ON number_pool FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS scheduled_task_data_version_insert',
    'CREATE TRIGGER scheduled_task_data_version_insert AFTER INSERT ON scheduled_task FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS scheduled_task_data_version_update',
    'CREATE TRIGGER scheduled_task_data_version_update AFTER UPDATE ON scheduled_task FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS scheduled_task_data_version_delete',
    'CREATE TRIGGER scheduled_task_data_version_delete AFTER DELETE ON scheduled_task FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS offer_data_version_insert',
    "CREATE TRIGGER offer_data_version_insert AFTER INSERT ON offer FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM line WHERE offer_id = NEW.id UNION SELECT account_id FROM scheduled_task WHERE json_extract(params, '$.offer_id') = NEW.id); END",
    'DROP TRIGGER IF EXISTS offer_data_version_update',
    "CREATE TRIGGER offer_data_version_update AFTER UPDATE ON offer FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM line WHERE offer_id = NEW.id UNION SELECT account_id FROM scheduled_task WHERE json_extract(params, '$.offer_id') = NEW.id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM line WHERE offer_id = OLD.id UNION SELECT account_id FROM scheduled_task WHERE json_extract(params, '$.offer_id') = OLD.id); END",
    'DROP TRIGGER IF EXISTS offer_data_version_delete',
    "CREATE TRIGGER offer_data_version_delete AFTER DELETE ON offer FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM line WHERE offer_id = OLD.id UNION SELECT account_id FROM scheduled_task WHERE json_extract(params, '$.offer_id') = OLD.id); END",
    'DROP TRIGGER IF EXISTS licence_data_version_insert',
    'CREATE TRIGGER licence_data_version_insert AFTER INSERT ON licence FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS licence_data_version_update',
    'CREATE TRIGGER licence_data_version_update AFTER UPDATE ON licence FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS licence_data_version_delete',
    'CREATE TRIGGER licence_data_version_delete AFTER DELETE ON licence FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS service_data_version_insert',
    'CREATE TRIGGER service_data_version_insert AFTER INSERT ON service FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS service_data_version_update',
    'CREATE TRIGGER service_data_version_update AFTER UPDATE ON service FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS service_data_version_delete',
    'CREATE TRIGGER service_data_version_delete AFTER DELETE ON service FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS invoice_data_version_insert',
    'CREATE TRIGGER invoice_data_version_insert AFTER INSERT ON invoice FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS invoice_data_version_update',
    'CREATE TRIGGER invoice_data_version_update AFTER UPDATE ON invoice FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS invoice_data_version_delete',
    'CREATE TRIGGER invoice_data_version_delete AFTER DELETE ON invoice FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS invoice_line_data_version_insert',
    'CREATE TRIGGER invoice_line_data_version_insert AFTER INSERT ON invoice_line FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM invoice WHERE id = NEW.invoice_id); END',
    'DROP TRIGGER IF EXISTS invoice_line_data_version_update',
    'CREATE TRIGGER invoice_line_data_version_update AFTER UPDATE ON invoice_line FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM invoice WHERE id = NEW.invoice_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM invoice WHERE id = OLD.invoice_id); END',
    'DROP TRIGGER IF EXISTS invoice_line_data_version_delete',
    'CREATE TRIGGER invoice_line_data_version_delete AFTER DELETE ON invoice_line FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT account_id FROM invoice WHERE id = OLD.invoice_id); END',
    'DROP TRIGGER IF EXISTS validation_procedure_data_version_insert',
    'CREATE TRIGGER validation_procedure_data_version_insert AFTER INSERT ON validation_procedure FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS validation_procedure_data_version_update',
    'CREATE TRIGGER validation_procedure_data_version_update AFTER UPDATE ON validation_procedure FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS validation_procedure_data_version_delete',
    'CREATE TRIGGER validation_procedure_data_version_delete AFTER DELETE ON validation_procedure FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
)

POSTGRESQL = (
    'CREATE OR REPLACE FUNCTION telephony_group_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS telephony_group_data_version_insert ON telephony_group',
    'CREATE TRIGGER telephony_group_data_version_insert AFTER INSERT ON telephony_group REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION telephony_group_data_version_insert()',
    'CREATE OR REPLACE FUNCTION telephony_group_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS telephony_group_data_version_update ON telephony_group',
    'CREATE TRIGGER telephony_group_data_version_update AFTER UPDATE ON telephony_group REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION telephony_group_data_version_update()',
    'CREATE OR REPLACE FUNCTION telephony_group_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS telephony_group_data_version_delete ON telephony_group',
    'CREATE TRIGGER telephony_group_data_version_delete AFTER DELETE ON telephony_group REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION telephony_group_data_version_delete()',
    'CREATE OR REPLACE FUNCTION line_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS line_data_version_insert ON line',
    'CREATE TRIGGER line_data_version_insert AFTER INSERT ON line REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION line_data_version_insert()',
    'CREATE OR REPLACE FUNCTION line_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS line_data_version_update ON line',
    'CREATE TRIGGER line_data_version_update AFTER UPDATE ON line REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION line_data_version_update()',
    'CREATE OR REPLACE FUNCTION line_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS line_data_version_delete ON line',
    'CREATE TRIGGER line_data_version_delete AFTER DELETE ON line REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION line_data_version_delete()',
    'CREATE OR REPLACE FUNCTION hardware_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS hardware_data_version_insert ON hardware',
    'CREATE TRIGGER hardware_data_version_insert AFTER INSERT ON hardware REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hardware_data_version_insert()',
    'CREATE OR REPLACE FUNCTION hardware_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS hardware_data_version_update ON hardware',
    'CREATE TRIGGER hardware_data_version_update AFTER UPDATE ON hardware REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hardware_data_version_update()',
    'CREATE OR REPLACE FUNCTION hardware_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS hardware_data_version_delete ON hardware',
    'CREATE TRIGGER hardware_data_version_delete AFTER DELETE ON hardware REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hardware_data_version_delete()',
    'CREATE OR REPLACE FUNCTION alias_number_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS alias_number_data_version_insert ON alias_number',
    'CREATE TRIGGER alias_number_data_version_insert AFTER INSERT ON alias_number REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alias_number_data_version_insert()',
    'CREATE OR REPLACE FUNCTION alias_number_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS alias_number_data_version_update ON alias_number',
    'CREATE TRIGGER alias_number_data_version_update AFTER UPDATE ON alias_number REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alias_number_data_version_update()',
    'CREATE OR REPLACE FUNCTION alias_number_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS alias_number_data_version_delete ON alias_number',
    'CREATE TRIGGER alias_number_data_version_delete AFTER DELETE ON alias_number REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alias_number_data_version_delete()',
    'CREATE OR REPLACE FUNCTION number_pool_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS number_pool_data_version_insert ON number_pool',
    'CREATE TRIGGER number_pool_data_version_insert AFTER INSERT ON number_pool REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION number_pool_data_version_insert()',
    'CREATE OR REPLACE FUNCTION number_pool_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS number_pool_data_version_update ON number_pool',
    'CREATE TRIGGER number_pool_data_version_update AFTER UPDATE ON number_pool REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION number_pool_data_version_update()',
    'CREATE OR REPLACE FUNCTION number_pool_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS number_pool_data_version_delete ON number_pool',
    'CREATE TRIGGER number_pool_data_version_delete AFTER DELETE ON number_pool REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION number_pool_data_version_delete()',
    'CREATE OR REPLACE FUNCTION scheduled_task_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS scheduled_task_data_version_insert ON scheduled_task',
    'CREATE TRIGGER scheduled_task_data_version_insert AFTER INSERT ON scheduled_task REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduled_task_data_version_insert()',
    'CREATE OR REPLACE FUNCTION scheduled_task_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS scheduled_task_data_version_update ON scheduled_task',
    'CREATE TRIGGER scheduled_task_data_version_update AFTER UPDATE ON scheduled_task REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduled_task_data_version_update()',
    'CREATE OR REPLACE FUNCTION scheduled_task_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS scheduled_task_data_version_delete ON scheduled_task',
    'CREATE TRIGGER scheduled_task_data_version_delete AFTER DELETE ON scheduled_task REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduled_task_data_version_delete()',
    "CREATE OR REPLACE FUNCTION offer_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT line.account_id FROM line JOIN new_rows ON line.offer_id = new_rows.id UNION SELECT scheduled_task.account_id FROM scheduled_task JOIN new_rows ON scheduled_task.params ->> 'offer_id' = new_rows.id::text) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$",
    'DROP TRIGGER IF EXISTS offer_data_version_insert ON offer',
    'CREATE TRIGGER offer_data_version_insert AFTER INSERT ON offer REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION offer_data_version_insert()',
    "CREATE OR REPLACE FUNCTION offer_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT line.account_id FROM line JOIN new_rows ON line.offer_id = new_rows.id UNION SELECT scheduled_task.account_id FROM scheduled_task JOIN new_rows ON scheduled_task.params ->> 'offer_id' = new_rows.id::text UNION SELECT line.account_id FROM line JOIN old_rows ON line.offer_id = old_rows.id UNION SELECT scheduled_task.account_id FROM scheduled_task JOIN old_rows ON scheduled_task.params ->> 'offer_id' = old_rows.id::text) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$",
    'DROP TRIGGER IF EXISTS offer_data_version_update ON offer',
    'CREATE TRIGGER offer_data_version_update AFTER UPDATE ON offer REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION offer_data_version_update()',
    "CREATE OR REPLACE FUNCTION offer_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT line.account_id FROM line JOIN old_rows ON line.offer_id = old_rows.id UNION SELECT scheduled_task.account_id FROM scheduled_task JOIN old_rows ON scheduled_task.params ->> 'offer_id' = old_rows.id::text) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$",
    'DROP TRIGGER IF EXISTS offer_data_version_delete ON offer',
    'CREATE TRIGGER offer_data_version_delete AFTER DELETE ON offer REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION offer_data_version_delete()',
    'CREATE OR REPLACE FUNCTION licence_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS licence_data_version_insert ON licence',
    'CREATE TRIGGER licence_data_version_insert AFTER INSERT ON licence REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION licence_data_version_insert()',
    'CREATE OR REPLACE FUNCTION licence_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS licence_data_version_update ON licence',
    'CREATE TRIGGER licence_data_version_update AFTER UPDATE ON licence REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION licence_data_version_update()',
    'CREATE OR REPLACE FUNCTION licence_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS licence_data_version_delete ON licence',
    'CREATE TRIGGER licence_data_version_delete AFTER DELETE ON licence REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION licence_data_version_delete()',
    'CREATE OR REPLACE FUNCTION service_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS service_data_version_insert ON service',
    'CREATE TRIGGER service_data_version_insert AFTER INSERT ON service REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_data_version_insert()',
    'CREATE OR REPLACE FUNCTION service_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS service_data_version_update ON service',
    'CREATE TRIGGER service_data_version_update AFTER UPDATE ON service REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_data_version_update()',
    'CREATE OR REPLACE FUNCTION service_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS service_data_version_delete ON service',
    'CREATE TRIGGER service_data_version_delete AFTER DELETE ON service REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_data_version_delete()',
    'CREATE OR REPLACE FUNCTION invoice_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS invoice_data_version_insert ON invoice',
    'CREATE TRIGGER invoice_data_version_insert AFTER INSERT ON invoice REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_data_version_insert()',
    'CREATE OR REPLACE FUNCTION invoice_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS invoice_data_version_update ON invoice',
    'CREATE TRIGGER invoice_data_version_update AFTER UPDATE ON invoice REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_data_version_update()',
    'CREATE OR REPLACE FUNCTION invoice_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS invoice_data_version_delete ON invoice',
    'CREATE TRIGGER invoice_data_version_delete AFTER DELETE ON invoice REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_data_version_delete()',
    'CREATE OR REPLACE FUNCTION invoice_line_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT invoice.account_id FROM invoice JOIN new_rows ON invoice.id = new_rows.invoice_id) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS invoice_line_data_version_insert ON invoice_line',
    'CREATE TRIGGER invoice_line_data_version_insert AFTER INSERT ON invoice_line REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_data_version_insert()',
    'CREATE OR REPLACE FUNCTION invoice_line_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT invoice.account_id FROM invoice JOIN new_rows ON invoice.id = new_rows.invoice_id UNION SELECT invoice.account_id FROM invoice JOIN old_rows ON invoice.id = old_rows.invoice_id) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS invoice_line_data_version_update ON invoice_line',
    'CREATE TRIGGER invoice_line_data_version_update AFTER UPDATE ON invoice_line REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_data_version_update()',
    'CREATE OR REPLACE FUNCTION invoice_line_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT invoice.account_id FROM invoice JOIN old_rows ON invoice.id = old_rows.invoice_id) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS invoice_line_data_version_delete ON invoice_line',
    'CREATE TRIGGER invoice_line_data_version_delete AFTER DELETE ON invoice_line REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_data_version_delete()',
    'CREATE OR REPLACE FUNCTION validation_procedure_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS validation_procedure_data_version_insert ON validation_procedure',
    'CREATE TRIGGER validation_procedure_data_version_insert AFTER INSERT ON validation_procedure REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION validation_procedure_data_version_insert()',
    'CREATE OR REPLACE FUNCTION validation_procedure_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS validation_procedure_data_version_update ON validation_procedure',
    'CREATE TRIGGER validation_procedure_data_version_update AFTER UPDATE ON validation_procedure REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION validation_procedure_data_version_update()',
    'CREATE OR REPLACE FUNCTION validation_procedure_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$',
    'DROP TRIGGER IF EXISTS validation_procedure_data_version_delete ON validation_procedure',
    'CREATE TRIGGER validation_procedure_data_version_delete AFTER DELETE ON validation_procedure REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION validation_procedure_data_version_delete()',
)


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('data_version', sa.BigInteger(), server_default='0', nullable=False)
        )
    op.create_table(
        'account_change',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_account_change_account', 'account_change', ['account_id', 'id'])
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        for event in ('insert', 'update', 'delete'):
            name = f'{table}_data_version_{event}'
            if postgresql:
                op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
                op.execute(f'DROP FUNCTION IF EXISTS {name}()')
            else:
                op.execute(f'DROP TRIGGER IF EXISTS {name}')
    op.drop_index('ix_account_change_account', table_name='account_change')
    op.drop_table('account_change')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('data_version')
