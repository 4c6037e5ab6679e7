"""webhook secret rotation

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import smarketing.models.types


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_expires_at', smarketing.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_sources', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_expires_at')
        batch_op.drop_column('previous_secret')
