"""ingest_run.index_pending: the changed rows an ingest still has to bring into the search index

Runs loaded before this revision are taken as indexed; `gongshi index --check` shows any drift.

Revision ID: 0005_index_pending
Revises: 0004_draw_records
Create Date: 2026-12-01 13:50:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_index_pending'
down_revision = '0004_draw_records'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ingest_run') as batch_op:
        batch_op.add_column(sa.Column('index_pending', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ingest_run') as batch_op:
        batch_op.drop_column('index_pending')
