"""statistics aggregates: the stat_* tables that store/stats.py maintains at every ingest

They are derived data: a store that already holds facts fills them with store.stats_upkeep.rebuild().

Revision ID: 0002_stats
Revises: 0001
Create Date: 2026-11-27 03:23:41.678902
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_stats'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stat_credit',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('risk_class', sa.String(length=1), nullable=False),
    sa.Column('inspections', sa.Integer(), nullable=False),
    sa.Column('problems_found', sa.Integer(), nullable=False),
    sa.Column('followed_by_penalty', sa.Integer(), nullable=False),
    sa.Column('followed_by_abnormal', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'risk_class', name=op.f('pk_stat_credit'))
    )
    op.create_table('stat_directory',
    sa.Column('in_directory', sa.Boolean(), nullable=False),
    sa.Column('risk_class', sa.String(length=1), nullable=False),
    sa.Column('last_inspected_year', sa.Integer(), nullable=False),
    sa.Column('entities', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('in_directory', 'risk_class', 'last_inspected_year', name=op.f('pk_stat_directory'))
    )
    op.create_table('stat_year',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('entities_inspected', sa.Integer(), nullable=False),
    sa.Column('multi_task_entities', sa.Integer(), nullable=False),
    sa.Column('multi_task_visits', sa.Integer(), nullable=False),
    sa.Column('separate_visits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_stat_year'))
    )
    op.create_table('stat_case',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('fines_yuan', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_case_department_id_department')),
    sa.PrimaryKeyConstraint('year', 'department_id', 'level', 'joint', name=op.f('pk_stat_case'))
    )
    op.create_table('stat_department_year',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('entities', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_department_year_department_id_department')),
    sa.PrimaryKeyConstraint('year', 'department_id', name=op.f('pk_stat_department_year'))
    )
    op.create_table('stat_entity',
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('in_directory', sa.Boolean(), nullable=False),
    sa.Column('risk_class', sa.String(length=1), nullable=True),
    sa.Column('last_inspected_year', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_stat_entity_entity_id_market_entity')),
    sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_stat_entity'))
    )
    with op.batch_alter_table('stat_entity', schema=None) as batch_op:
        batch_op.create_index('ix_stat_entity_directory_last', ['in_directory', 'last_inspected_year'], unique=False)

    op.create_table('stat_task_group',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=False),
    sa.Column('deadline_working_days', sa.Integer(), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('inspections', sa.Integer(), nullable=False),
    sa.Column('problems_found', sa.Integer(), nullable=False),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('publication_unknown', sa.Integer(), nullable=False),
    sa.Column('on_time_estimated', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_task_group_department_id_department')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_stat_task_group_task_id_task')),
    sa.PrimaryKeyConstraint('task_id', 'year', 'department_id', 'level', 'deadline_working_days', name=op.f('pk_stat_task_group'))
    )
    with op.batch_alter_table('stat_task_group', schema=None) as batch_op:
        batch_op.create_index('ix_stat_task_group_year_department', ['year', 'department_id'], unique=False)

    op.create_table('stat_outcome',
    sa.Column('credit_event_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('is_case', sa.Boolean(), nullable=False),
    sa.Column('amount_yuan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['credit_event_id'], ['credit_event.id'], name=op.f('fk_stat_outcome_credit_event_id_credit_event')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_outcome_department_id_department')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_stat_outcome_entity_id_market_entity')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_stat_outcome_inspection_id_inspection')),
    sa.PrimaryKeyConstraint('credit_event_id', name=op.f('pk_stat_outcome'))
    )
    with op.batch_alter_table('stat_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_outcome_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_outcome_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_outcome_year'), ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stat_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_outcome_year'))
        batch_op.drop_index(batch_op.f('ix_stat_outcome_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_stat_outcome_entity_id'))

    op.drop_table('stat_outcome')
    with op.batch_alter_table('stat_task_group', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_task_group_year_department')

    op.drop_table('stat_task_group')
    with op.batch_alter_table('stat_entity', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_entity_directory_last')

    op.drop_table('stat_entity')
    op.drop_table('stat_department_year')
    op.drop_table('stat_case')
    op.drop_table('stat_year')
    op.drop_table('stat_directory')
    op.drop_table('stat_credit')
