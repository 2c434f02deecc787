"""statistics per office: the aggregates keyed by office (机关) instead of department kind

The reshaped tables are derived data: they are dropped and created empty, and Database.upgrade
rebuilds every aggregate from the facts when it finds them empty in a store that holds tasks.

Revision ID: 0007_office_stats
Revises: 0006_offices
Create Date: 2026-12-01 13:58:21.286501
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0007_office_stats'
down_revision = '0006_offices'
branch_labels = None
depends_on = None

OLD_SHAPE = ('stat_outcome', 'stat_case', 'stat_department_year', 'stat_task_group', 'stat_directory', 'stat_entity')
NEW_SHAPE = ('stat_outcome', 'stat_case', 'stat_office_year', 'stat_task_group', 'stat_directory', 'stat_entity')


def upgrade() -> None:
    for table in OLD_SHAPE:
        op.drop_table(table)
    op.create_table('stat_directory',
    sa.Column('in_directory', sa.Boolean(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('risk_class', sa.String(length=1), nullable=False),
    sa.Column('last_inspected_year', sa.Integer(), nullable=False),
    sa.Column('entities', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('in_directory', 'region_code', 'risk_class', 'last_inspected_year', name=op.f('pk_stat_directory'))
    )
    op.create_table('stat_case',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('fines_yuan', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_case_department_id_department')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_stat_case_office_id_office')),
    sa.PrimaryKeyConstraint('year', 'office_id', 'joint', name=op.f('pk_stat_case'))
    )
    op.create_table('stat_office_year',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('entities', sa.Integer(), nullable=False),
    sa.Column('multi_task_entities', sa.Integer(), nullable=False),
    sa.Column('multi_office_entities', sa.Integer(), nullable=False),
    sa.Column('problems_followed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_office_year_department_id_department')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_stat_office_year_office_id_office')),
    sa.PrimaryKeyConstraint('year', 'office_id', name=op.f('pk_stat_office_year'))
    )
    with op.batch_alter_table('stat_office_year', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_office_year_department_id'), ['department_id'], unique=False)

    op.create_table('stat_entity',
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('in_directory', sa.Boolean(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('risk_class', sa.String(length=1), nullable=True),
    sa.Column('last_inspected_year', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_stat_entity_entity_id_market_entity')),
    sa.PrimaryKeyConstraint('entity_id', name=op.f('pk_stat_entity'))
    )
    with op.batch_alter_table('stat_entity', schema=None) as batch_op:
        batch_op.create_index('ix_stat_entity_directory_last', ['in_directory', 'last_inspected_year'], unique=False)
        batch_op.create_index('ix_stat_entity_region', ['region_code', 'in_directory', 'last_inspected_year'], unique=False)

    op.create_table('stat_task_group',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('deadline_working_days', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('inspections', sa.Integer(), nullable=False),
    sa.Column('problems_found', sa.Integer(), nullable=False),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('publication_unknown', sa.Integer(), nullable=False),
    sa.Column('on_time_estimated', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_task_group_department_id_department')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_stat_task_group_office_id_office')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_stat_task_group_task_id_task')),
    sa.PrimaryKeyConstraint('task_id', 'year', 'office_id', 'deadline_working_days', name=op.f('pk_stat_task_group'))
    )
    with op.batch_alter_table('stat_task_group', schema=None) as batch_op:
        batch_op.create_index('ix_stat_task_group_year_department', ['year', 'department_id'], unique=False)
        batch_op.create_index('ix_stat_task_group_year_office', ['year', 'office_id'], unique=False)

    op.create_table('stat_outcome',
    sa.Column('credit_event_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('is_case', sa.Boolean(), nullable=False),
    sa.Column('amount_yuan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['credit_event_id'], ['credit_event.id'], name=op.f('fk_stat_outcome_credit_event_id_credit_event')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stat_outcome_department_id_department')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_stat_outcome_entity_id_market_entity')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_stat_outcome_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_stat_outcome_office_id_office')),
    sa.PrimaryKeyConstraint('credit_event_id', name=op.f('pk_stat_outcome'))
    )
    with op.batch_alter_table('stat_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_outcome_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_outcome_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_outcome_year'), ['year'], unique=False)




def downgrade() -> None:
    """Back to the aggregates as 0002 made them, empty: `gongshi stats-rebuild` fills them."""
    for table in (*NEW_SHAPE, 'stat_year', 'stat_credit'):
        op.drop_table(table)
    path = Path(__file__).with_name('0002_statistics_aggregates.py')
    spec = importlib.util.spec_from_file_location('stats_0002', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upgrade()
