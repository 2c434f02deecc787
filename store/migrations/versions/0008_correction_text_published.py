"""correction requests: their text is public only once the owning office publishes it

Revision ID: 0008_correction_text
Revises: 0007_office_stats
Create Date: 2026-12-01 14:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_correction_text'
down_revision = '0007_office_stats'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Requests filed before stay unpublished until their office has read them.
    with op.batch_alter_table('correction_request') as batch:
        batch.add_column(sa.Column('text_published', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('correction_request') as batch:
        batch.drop_column('text_published')
