"""The synthetic city generator and the sample files in gongshi/sample/."""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from stdnum.cn import uscc as stdnum_uscc

from gongshi.democity import (
    CHECKLIST_HEADERS,
    CREDIT_HEADERS,
    ENTITY_HEADERS,
    RESULT_HEADERS,
    TASK_HEADERS,
    USCC_ALPHABET,
    generate_city,
    write_checklist,
)
from gongshi.store.vocabulary import KNOWN_RESULTS
from tests.conftest import SAMPLE

DATE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2})|/(\d{1,2})/(\d{1,2})|年(\d{1,2})月(\d{1,2})日)$")


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _dicts(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _date(text: str) -> dt.date:
    m = DATE.match(text)
    assert m, text
    y, *rest = [int(g) for g in m.groups() if g]
    return dt.date(y, *rest)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> dict[str, Path]:
    return generate_city(tmp_path_factory.mktemp("city"), entities=500)


def test_same_seed_same_bytes(city, tmp_path):
    again = generate_city(tmp_path / "again", entities=500)
    assert set(again) == {"entity", "task", "result", "credit"}
    for kind, path in city.items():
        assert path.read_bytes() == again[kind].read_bytes(), kind
    other = generate_city(tmp_path / "other", entities=500, seed=7)
    assert other["entity"].read_bytes() != city["entity"].read_bytes()


def test_files_are_utf8_bom_with_published_headers(city):
    expected = {"entity": ENTITY_HEADERS, "task": TASK_HEADERS, "result": RESULT_HEADERS, "credit": CREDIT_HEADERS}
    for kind, path in city.items():
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        assert _read(path)[0] == expected[kind]


def test_usccs_are_valid(city):
    rows = _dicts(city["entity"])
    assert len(rows) == 500
    codes = [r["统一社会信用代码"] for r in rows]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 18 and all(c in USCC_ALPHABET for c in code), code
        assert code[-1] == stdnum_uscc.calc_check_digit(code[:17]), code
    kinds = {r["市场主体类型"]: r["统一社会信用代码"][:2] for r in rows}
    assert kinds["个体工商户"] == "92" and kinds["有限责任公司"] == "91"
    assert len({r["企业名称"] for r in rows}) == len(rows)


def test_results_refer_to_known_entities_and_tasks(city):
    entities = {r["统一社会信用代码"]: r["企业名称"] for r in _dicts(city["entity"])}
    tasks = {r["抽查任务编号"]: r for r in _dicts(city["task"])}
    results = _dicts(city["result"])
    assert results
    for r in results:
        assert entities[r["统一社会信用代码"]] == r["企业名称"]
        task = tasks[r["抽查任务编号"]]
        assert task["抽查任务名称"] == r["抽查任务名称"]
        assert r["检查结果"] in KNOWN_RESULTS
        assert _date(r["检查完成日期"]) <= _date(task["完成时限"])
        if r["公示日期"]:
            assert _date(r["公示日期"]) > _date(r["检查完成日期"])
    share_ok = sum(r["检查结果"] == "未发现问题" for r in results) / len(results)
    assert 0.7 < share_ok < 0.9
    credit = _dicts(city["credit"])
    assert {r["统一社会信用代码"] for r in credit} <= set(entities)


def test_joint_share_of_tasks(city):
    tasks = _dicts(city["task"])
    joint = [t for t in tasks if t["联合检查部门"]]
    assert 0.05 <= len(joint) / len(tasks) <= 0.30
    assert all(re.fullmatch(r"320600-20\d\d-[A-Z]+-\d{3}", t["抽查任务编号"]) for t in tasks)


def test_all_date_forms_appear(city):
    forms = Counter()
    for r in _dicts(city["result"]):
        text = r["检查完成日期"]
        forms["-" if "-" in text else "/" if "/" in text else "年"] += 1
    assert forms["-"] > forms["/"] > 0 and forms["年"] > 0


def test_jiangsu_2021_sample():
    rows = _read(SAMPLE / "jiangsu_2021_tasks.csv")
    assert rows[0] == ["江苏省市场监管领域2021年度部门联合双随机监管任务"]
    assert rows[1] == ["序号", "任 务 名 称", "抽查领域", "联合检查部门", "检查对象", "检查方式", "抽取比例", "抽取数量",
                       "检查频次", "检查层级"]
    data = rows[2:]
    assert len(data) == 20
    assert [r[0] for r in data] == [str(n) for n in range(1, 21)]
    assert data[0][7] == "约1000" and data[0][3] == "教育、市监、公安、金融、税务"
    assert data[16][7] == "不少于13"
    assert data[8][6] == "15.38%"
    assert data[19][3] == "应急、农村农业"
    assert data[18][2] == "" and data[19][2] == ""


def test_checklist_sample_is_the_generator_checklist(tmp_path):
    path = write_checklist(tmp_path / "checklist.csv")
    assert (SAMPLE / "nantong_checklist.csv").read_bytes() == path.read_bytes()
    rows = _dicts(path)
    assert _read(path)[0] == CHECKLIST_HEADERS
    assert 35 <= len(rows) <= 50
    assert len({r["部门"] for r in rows}) >= 10
    assert {r["事项类别"] for r in rows} == {"一般检查事项", "重点检查事项"}
    assert any(r["参与部门"] for r in rows)
