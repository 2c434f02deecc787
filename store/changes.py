"""What one ingest's changed rows (table → ids, as the loader counts them) touch: the tasks and
the entities whose figures or records follow them, as SELECTs over temporary tables of the ids."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Select, Table, select, union

from gongshi.store.models import CreditEvent, Inspection, MarketEntity, Task
from gongshi.store.scratch import Scratch

# Per changed table: (the column naming what it touches, the row's key). A corrected task moves
# its inspections' year and departments, and its name shows in each of their records.
ENTITY_OF = {"market_entity": (MarketEntity.id, MarketEntity.id), "inspection": (Inspection.entity_id, Inspection.id),
             "task": (Inspection.entity_id, Inspection.task_id), "credit_event": (CreditEvent.entity_id, CreditEvent.id)}
TASK_OF = {"task": (Task.id, Task.id), "inspection": (Inspection.task_id, Inspection.id)}


def changed_ids(tmp: Scratch, changed: Mapping[str, Iterable[int]]) -> dict[str, Select]:
    """The ids of each table that changed and touches an entity, each set in a temporary table."""
    return {table: select(tmp.ids(f"changed_{table}", changed[table]).c.id)
            for table in ENTITY_OF if changed.get(table)}


def touched(ids: Mapping[str, Select], of: Mapping[str, tuple]) -> list[Select]:
    """What the changed ids touch, one SELECT per changed table (`of`: ENTITY_OF or TASK_OF)."""
    return [select(column).where(key.in_(ids[table])) for table, (column, key) in of.items() if table in ids]


def touched_table(tmp: Scratch, name: str, selects: list[Select]) -> Table:
    """A temporary table of the distinct ids these SELECTs give (empty when there are none)."""
    return tmp.ids(name, union(*selects) if len(selects) > 1 else selects[0].distinct() if selects else ())
