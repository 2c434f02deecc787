"""correction requests: the reference number a request got while it waited in the spool

Revision ID: 0009_correction_queued_ref
Revises: 0008_correction_text
Create Date: 2026-12-01 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_correction_queued_ref'
down_revision = '0008_correction_text'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Unique: a spooled request is recorded once, however often a drain is interrupted and rerun.
    with op.batch_alter_table('correction_request') as batch:
        batch.add_column(sa.Column('queued_ref', sa.String(length=32), nullable=True))
        batch.create_unique_constraint('uq_correction_request_queued_ref', ['queued_ref'])


def downgrade() -> None:
    with op.batch_alter_table('correction_request') as batch:
        batch.drop_constraint('uq_correction_request_queued_ref', type_='unique')
        batch.drop_column('queued_ref')
