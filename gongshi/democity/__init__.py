"""A deterministic synthetic Nantong-like city, written as published-style files for the ingest.

`generate_city` writes four UTF-8-with-BOM CSV files with the Chinese headers of FORMATS.md:
检查对象名录 (entities), 抽查计划/任务 (tasks), 抽查检查结果 (results, one row per checked item)
and 信用信息 (credit records). It only writes files; from the store it takes nothing but the
working-day calendar.

Everything comes from one `random.Random(seed)`, so a seed gives the same bytes on every run. Rows
are written as they are generated; per entity only a few small integers are kept in compact
arrays (names and 统一社会信用代码 are rebuilt from them), so a million entities fit easily.

`write_checklist` writes the 抽查事项清单 that the tasks draw their items from
(gongshi/sample/nantong_checklist.csv is its output). The word lists and tables (regions,
departments, trades, 字号, the checklist) are data files in words/,
read by tables.py; city.py generates.

Run alone: python -m gongshi.democity --out DIR --entities N --seed S
"""
from gongshi.democity.city import generate_city
from gongshi.democity.tables import (
    CHECKLIST_HEADERS,
    CREDIT_HEADERS,
    ENTITY_HEADERS,
    RESULT_HEADERS,
    TASK_HEADERS,
    USCC_ALPHABET,
    write_checklist,
)

__all__ = ["generate_city", "write_checklist", "ENTITY_HEADERS", "TASK_HEADERS", "RESULT_HEADERS", "CREDIT_HEADERS",
           "CHECKLIST_HEADERS", "USCC_ALPHABET"]
