"""draw records (抽取记录): published draws that anyone can re-run, linked to tasks by number

Revision ID: 0004_draw_records
Revises: 0003_corrections
Create Date: 2026-12-01 13:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_draw_records'
down_revision = '0003_corrections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draw_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_no', sa.String(length=80), nullable=True),
    sa.Column('algorithm', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Text(), nullable=False),
    sa.Column('directory_name', sa.Text(), nullable=True),
    sa.Column('directory_sha256', sa.String(length=64), nullable=False),
    sa.Column('directory_rows', sa.Integer(), nullable=False),
    sa.Column('selected_count', sa.Integer(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('natural_key', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('ingest_run_id', sa.Integer(), nullable=False),
    sa.Column('extras', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ingest_run_id'], ['ingest_run.id'], name=op.f('fk_draw_record_ingest_run_id_ingest_run')),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_draw_record_source_id_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_record')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_draw_record_natural_key'))
    )
    with op.batch_alter_table('draw_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_record_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draw_record_task_no'), ['task_no'], unique=False)


def downgrade() -> None:
    op.drop_table('draw_record')  # its indexes go with it
