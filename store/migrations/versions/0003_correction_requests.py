"""correction requests (更正申请): a business asks the department owning a fact to correct it

Revision ID: 0003_corrections
Revises: 0002_stats
Create Date: 2026-11-27 04:30:54.871839
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_corrections'
down_revision = '0002_stats'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('correction_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('fact_table', sa.String(length=32), nullable=False),
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('department_name', sa.Text(), nullable=False),
    sa.Column('claim', sa.Text(), nullable=False),
    sa.Column('correction', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=64), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('待处理', '已更正', '未予更正')", name=op.f('ck_correction_request_status')),
    sa.CheckConstraint('contact_phone IS NOT NULL OR contact_email IS NOT NULL', name=op.f('ck_correction_request_contact')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_correction_request_department_id_department')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_correction_request_entity_id_market_entity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_request'))
    )
    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_request_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_request_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index('ix_correction_request_fact', ['fact_table', 'fact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_request_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('correction_request')  # its indexes go with it
