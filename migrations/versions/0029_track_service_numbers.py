"""service_number and port_order join the tables whose writes move an account's data
version on (telephony.versioning): the menu offers the service numbers' pages while the
account holds numbers or follows a port order (licences.may_follow), a fact kept per data
version. The triggers' SQL is frozen here as it was made at this revision.

Revision ID: 0029
Revises: 0028
"""

from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

TABLES = ('service_number', 'port_order')

SQLITE = (
    'DROP TRIGGER IF EXISTS service_number_data_version_insert',
    'CREATE TRIGGER service_number_data_version_insert AFTER INSERT ON service_number FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS service_number_data_version_update',
    'CREATE TRIGGER service_number_data_version_update AFTER UPDATE ON service_number FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS service_number_data_version_delete',
    'CREATE TRIGGER service_number_data_version_delete AFTER DELETE ON service_number FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS port_order_data_version_insert',
    'CREATE TRIGGER port_order_data_version_insert AFTER INSERT ON port_order FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); END',
    'DROP TRIGGER IF EXISTS port_order_data_version_update',
    'CREATE TRIGGER port_order_data_version_update AFTER UPDATE ON port_order FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT NEW.account_id); UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
    'DROP TRIGGER IF EXISTS port_order_data_version_delete',
    'CREATE TRIGGER port_order_data_version_delete AFTER DELETE ON port_order FOR EACH ROW BEGIN UPDATE account SET data_version = data_version + 1 WHERE id IN (SELECT OLD.account_id); END',
)

POSTGRESQL = (
    '\nCREATE OR REPLACE FUNCTION service_number_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$\n',
    'DROP TRIGGER IF EXISTS service_number_data_version_insert ON service_number',
    'CREATE TRIGGER service_number_data_version_insert AFTER INSERT ON service_number REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_number_data_version_insert()',
    '\nCREATE OR REPLACE FUNCTION service_number_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$\n',
    'DROP TRIGGER IF EXISTS service_number_data_version_update ON service_number',
    'CREATE TRIGGER service_number_data_version_update AFTER UPDATE ON service_number REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_number_data_version_update()',
    '\nCREATE OR REPLACE FUNCTION service_number_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$\n',
    'DROP TRIGGER IF EXISTS service_number_data_version_delete ON service_number',
    'CREATE TRIGGER service_number_data_version_delete AFTER DELETE ON service_number REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_number_data_version_delete()',
    '\nCREATE OR REPLACE FUNCTION port_order_data_version_insert() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$\n',
    'DROP TRIGGER IF EXISTS port_order_data_version_insert ON port_order',
    'CREATE TRIGGER port_order_data_version_insert AFTER INSERT ON port_order REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION port_order_data_version_insert()',
    '\nCREATE OR REPLACE FUNCTION port_order_data_version_update() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$\n',
    'DROP TRIGGER IF EXISTS port_order_data_version_update ON port_order',
    'CREATE TRIGGER port_order_data_version_update AFTER UPDATE ON port_order REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION port_order_data_version_update()',
    '\nCREATE OR REPLACE FUNCTION port_order_data_version_delete() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO account_change (account_id)\n  SELECT DISTINCT a FROM (SELECT account_id FROM old_rows) AS rows_accounts(a) WHERE a IS NOT NULL;\n  RETURN NULL;\nEND $$\n',
    'DROP TRIGGER IF EXISTS port_order_data_version_delete ON port_order',
    'CREATE TRIGGER port_order_data_version_delete AFTER DELETE ON port_order REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION port_order_data_version_delete()',
)


def upgrade():
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
