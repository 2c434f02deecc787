"""offices (机关): a department kind × region × level; every fact names its office

Moves existing stores: each published name (检查主体, 抽查机关, 决定机关) is read again for its
region, names without one placed by their file's publisher; tasks and inspections get their lead
office. The kinds stored on the facts are kept as they are.

Revision ID: 0006_offices
Revises: 0005_index_pending
Create Date: 2026-12-01 13:30:28.702018
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = '0006_offices'
down_revision = '0005_index_pending'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('office',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('level', sa.String(length=4), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('placed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_office_department_id_department')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_office_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office')),
    sa.UniqueConstraint('key', name=op.f('uq_office_key'))
    )
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_region_code'), ['region_code'], unique=False)

    op.add_column('source', sa.Column('region_code', sa.String(length=6), nullable=True))
    for table, column in (('credit_event', 'office_id'), ('inspection', 'lead_office_id'),
                          ('inspection_department', 'office_id'), ('task', 'lead_office_id'),
                          ('task_department', 'office_id')):
        _add_office_column(table, column)

    _move_to_offices(Session(bind=op.get_bind()))


BATCH = 5000


def _add_office_column(table: str, column: str) -> None:
    """A nullable reference to office. SQLite adds it in place (ALTER TABLE … REFERENCES): a
    batch copy of a table that others reference fails its foreign keys on a populated store."""
    fk = f"fk_{table}_{column}_office"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {fk} REFERENCES office (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(fk, table, 'office', [column], ['id'])
    op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def _move_to_offices(session: Session) -> None:
    from gongshi.store.offices import NameReader, OfficeCache

    reader = NameReader(session)
    offices = OfficeCache(session, reader)
    kinds = dict(session.execute(sa.text("SELECT id, name FROM department")).all())
    context = {}
    for id_, publisher in session.execute(sa.text("SELECT id, publisher FROM source")).all():
        context[id_] = reader.region_of(publisher)
        session.execute(sa.text("UPDATE source SET region_code = :r WHERE id = :id"), {"r": context[id_], "id": id_})

    def office(department_id, published, source_id):
        reading = reader.read(published, context.get(source_id))
        return offices.office_id(department_id, kinds[department_id], reading.region_code, published)

    for table, parent, key in (("task_department", "task", ("task_id", "position")),
                               ("inspection_department", "inspection", ("inspection_id", "position"))):
        rows = session.execute(sa.text(
            f"SELECT c.{key[0]}, c.position, c.department_id, c.published_name, p.source_id FROM {table} c "
            f"JOIN {parent} p ON p.id = c.{key[0]}")).all()
        update = sa.text(f"UPDATE {table} SET office_id = :o WHERE {key[0]} = :k AND position = :p")
        for start in range(0, len(rows), BATCH):
            session.execute(update, [{"o": office(d, name, src), "k": k, "p": pos}
                                     for k, pos, d, name, src in rows[start:start + BATCH]])
    rows = session.execute(sa.text("SELECT id, department_id, authority_text, source_id FROM credit_event "
                                   "WHERE department_id IS NOT NULL AND authority_text IS NOT NULL")).all()
    for start in range(0, len(rows), BATCH):
        session.execute(sa.text("UPDATE credit_event SET office_id = :o WHERE id = :id"),
                        [{"o": office(d, text, src), "id": id_} for id_, d, text, src in rows[start:start + BATCH]])
    session.execute(sa.text(
        "UPDATE task SET lead_office_id = (SELECT office_id FROM task_department t "
        "WHERE t.task_id = task.id ORDER BY t.position LIMIT 1)"))
    # The lead kind's office among the authorities did the work; else the task's lead office.
    session.execute(sa.text(
        "UPDATE inspection SET lead_office_id = COALESCE("
        "(SELECT office_id FROM inspection_department d WHERE d.inspection_id = inspection.id "
        "AND d.department_id = inspection.lead_department_id ORDER BY d.position LIMIT 1), "
        "(SELECT lead_office_id FROM task WHERE task.id = inspection.task_id))"))
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('task_department', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_task_department_office_id_office'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_task_department_office_id'))
        batch_op.drop_column('office_id')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_task_lead_office_id_office'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_task_lead_office_id'))
        batch_op.drop_column('lead_office_id')

    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_column('region_code')

    with op.batch_alter_table('inspection_department', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_department_office_id_office'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspection_department_office_id'))
        batch_op.drop_column('office_id')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_lead_office_id_office'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspection_lead_office_id'))
        batch_op.drop_column('lead_office_id')

    with op.batch_alter_table('credit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_event_office_id_office'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_credit_event_office_id'))
        batch_op.drop_column('office_id')

    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_region_code'))
        batch_op.drop_index(batch_op.f('ix_office_department_id'))

    op.drop_table('office')
