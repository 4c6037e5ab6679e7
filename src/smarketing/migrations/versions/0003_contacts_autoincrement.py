"""contacts autoincrement: contact ids are never reused on SQLite

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

Without AUTOINCREMENT, SQLite gives the id of a deleted contact with the highest id to
the next new contact, so a merged contact's id (kept in `merged_contacts`) could come to
mean a different person. The contacts table is rebuilt with AUTOINCREMENT and
`sqlite_sequence` is seeded with the highest id ever given out: the live contacts' and
the merged-away ones'. The rebuild copies the table as 0001 created it (`_contacts`:
every column, constraint, index and foreign key with its name) rather than as reflection
reads it back, so the downgrade gives back the original table, primary key name
included. With AUTOINCREMENT the primary key is declared inline, without a name, as
`Base.metadata.create_all` declares it too.

The rebuild drops the old table, which other tables' foreign keys refer to: env.py runs
SQLite migrations with `PRAGMA foreign_keys=OFF` (it only works outside a transaction),
and this migration checks the foreign keys from and to contacts (`PRAGMA
foreign_key_check`) before its transaction commits, as
https://www.sqlite.org/lang_altertable.html prescribes.

PostgreSQL sequences never reuse ids: nothing to do there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smarketing.models.types


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _rebuild_contacts(autoincrement=True)
    # The copied rows already moved the sequence to the highest live id; a contact merged
    # away before this migration may have had a higher one.
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'contacts'")
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'contacts', MAX("
        "(SELECT COALESCE(MAX(id), 0) FROM contacts), "
        "(SELECT COALESCE(MAX(merged_contact_id), 0) FROM merged_contacts))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    _rebuild_contacts(autoincrement=False)


def _contacts() -> sa.Table:
    """The contacts table as 0001_initial_schema created it."""
    return sa.Table('contacts', sa.MetaData(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('persona_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('product_line_id', sa.Integer(), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=20), nullable=False),
    sa.Column('stage_entered_at', smarketing.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', smarketing.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_touch_channel', sa.String(length=32), nullable=True),
    sa.Column('first_touch_campaign_id', sa.Integer(), nullable=True),
    sa.Column('last_touch_channel', sa.String(length=32), nullable=True),
    sa.Column('last_touch_campaign_id', sa.Integer(), nullable=True),
    sa.Column('last_touch_at', smarketing.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name='fk_contacts_company_id_companies'),
    sa.ForeignKeyConstraint(['first_touch_campaign_id'], ['campaigns.id'], name='fk_contacts_first_touch_campaign_id_campaigns'),
    sa.ForeignKeyConstraint(['last_touch_campaign_id'], ['campaigns.id'], name='fk_contacts_last_touch_campaign_id_campaigns'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name='fk_contacts_owner_id_users'),
    sa.ForeignKeyConstraint(['persona_id'], ['personas.id'], name='fk_contacts_persona_id_personas'),
    sa.ForeignKeyConstraint(['product_line_id'], ['product_lines.id'], name='fk_contacts_product_line_id_product_lines'),
    sa.PrimaryKeyConstraint('id', name='pk_contacts'),
    sa.UniqueConstraint('email', name='uq_contacts_email'),
    sa.Index('ix_contacts_company_id', 'company_id'),
    sa.Index('ix_contacts_created_at', 'created_at'),
    sa.Index('ix_contacts_lifecycle_stage', 'lifecycle_stage'),
    sa.Index('ix_contacts_owner_stage', 'owner_id', 'lifecycle_stage'),
    )


def _rebuild_contacts(*, autoincrement: bool) -> None:
    """Copy contacts into a new table with or without AUTOINCREMENT, foreign keys off."""
    bind = op.get_bind()
    if bind.exec_driver_sql('PRAGMA foreign_keys').scalar():
        raise RuntimeError(
            'rebuilding contacts needs PRAGMA foreign_keys=OFF (set outside a transaction, '
            'as smarketing/migrations/env.py does): with it on, dropping the old table '
            'fails or cascades'
        )
    with op.batch_alter_table(
        'contacts', recreate='always', copy_from=_contacts(),
        table_kwargs={'sqlite_autoincrement': autoincrement},
    ):
        pass
    # (table, rowid, parent, fkid) of each row whose foreign key finds no parent; only
    # the keys from and to contacts are this rebuild's business.
    broken = [row for row in bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
              if 'contacts' in (row[0], row[2])]
    if broken:
        raise RuntimeError(f'foreign keys broken by rebuilding contacts: {broken[:10]}')
