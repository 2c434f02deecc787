"""entity documents: each entity's API record kept whole, so that a lookup is one key read

Revision ID: 0010_entity_documents
Revises: 0009_correction_queued_ref
Create Date: 2026-12-01 16:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_entity_documents'
down_revision = '0009_correction_queued_ref'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'entity_document',
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.Column('built_on', sa.Date(), nullable=True),
        sa.Column('shape', sa.String(length=32), nullable=True),
        sa.Column('root', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'],
                                name=op.f('fk_entity_document_entity_id_market_entity')),
        sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_entity_document')),
    )
    # Every entity has its row (ingests add the new ones); bodies are built on first request.
    op.execute('INSERT INTO entity_document (entity_id, revision) SELECT id, 1 FROM market_entity')


def downgrade() -> None:
    op.drop_table('entity_document')
