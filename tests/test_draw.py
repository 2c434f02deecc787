"""`gongshi draw`: a draw anyone can re-run from the directory and the public seed."""
import hashlib
import json
from collections import Counter

import pytest
from click.testing import CliRunner
from scipy.stats import chisquare

from gongshi.cli import main
from gongshi.ingest import draw
from tests.factories import uscc, write_csv

HEADER = ["统一社会信用代码", "企业名称", "市场主体类型", "行政区划代码"]


def directory_rows(n: int) -> list[list]:
    """n entities; every third one a company, the rest 个体工商户."""
    return [[uscc(i, "91" if i % 3 == 0 else "92"), f"南通市测试{i}号商店", "有限责任公司" if i % 3 == 0 else "个体工商户",
             "320602"] for i in range(1, n + 1)]


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def directory(tmp_path):
    return write_csv(tmp_path / "名录库.csv", HEADER, directory_rows(30))


def make(run, directory, out, *args):
    result = run("draw", "--directory", directory, "--seed", "2024年第一批 3月1日", "--out", out, *args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_same_inputs_draw_the_same_selection_and_verify(run, directory, tmp_path):
    first = make(run, directory, tmp_path / "a.json", "--count", 5)
    again = make(run, directory, tmp_path / "b.json", "--count", 5)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert len(first["selected"]) == 5 and first == again
    assert first["directory"]["rows"] == 30 and first["directory"]["usccs"] == sorted(r[0] for r in directory_rows(30))
    assert first["directory"]["sha256"] == hashlib.sha256(directory.read_bytes()).hexdigest()
    result = run("draw", "--verify", tmp_path / "a.json", "--directory", directory)
    assert result.exit_code == 0 and "一致" in result.output


def test_a_known_selection_is_pinned_so_a_change_of_algorithm_is_caught(run, directory, tmp_path):
    record = make(run, directory, tmp_path / "r.json", "--count", 4)
    assert record["algorithm"] == "gongshi-sha256-rank" and record["version"] == 1
    assert record["selected"] == ["92320602MA0000029R", "92320602MA00000022", "92320602MA0000008L",
                                  "92320602MA0000016F"]
    # The documented key, computed here with nothing but hashlib: the first drawn has the smallest.
    keys = {u: hashlib.sha256("2024年第一批 3月1日".encode() + b"\x00" + u.encode()).hexdigest()
            for u in record["directory"]["usccs"]}
    assert sorted(keys, key=keys.get)[:4] == record["selected"]


def test_a_ratio_is_rounded_up_and_strata_get_their_own_share(run, directory, tmp_path):
    record = make(run, directory, tmp_path / "r.json", "--ratio", "10%", "--stratify-by", "市场主体类型")
    assert record["strata"] == {"个体工商户": {"population": 20, "selected": 2},
                                "有限责任公司": {"population": 10, "selected": 1}}
    types = Counter("有限责任公司" if u.startswith("91") else "个体工商户" for u in record["selected"])
    assert types == {"个体工商户": 2, "有限责任公司": 1}
    assert run("draw", "--verify", tmp_path / "r.json", "--directory", directory).exit_code == 0


def test_a_count_is_shared_between_strata_by_largest_remainder():
    assert draw.allocate({"个体工商户": 27, "企业": 13}, 7, None) == {"个体工商户": 5, "企业": 2}
    # Equal remainders: the stratum whose name sorts first (by code point) gets the extra one.
    assert draw.allocate({"甲": 5, "乙": 5}, 1, None) == {"甲": 0, "乙": 1}


def test_excluded_entities_are_never_drawn(run, directory, tmp_path):
    excluded = [r[0] for r in directory_rows(30)[:25]]
    exclude = tmp_path / "今年已检查.txt"
    exclude.write_text("# 本年度已检查\n" + "\n".join(excluded) + "\n", encoding="gb18030")
    record = make(run, directory, tmp_path / "r.json", "--count", 5, "--exclude", exclude)
    assert sorted(record["selected"]) == sorted(r[0] for r in directory_rows(30)[25:])
    assert record["parameters"]["exclude"] == sorted(excluded)


def test_one_entity_removed_from_the_directory_fails_verify_naming_it(run, directory, tmp_path):
    make(run, directory, tmp_path / "r.json", "--count", 5)
    rows = directory_rows(30)
    removed = rows.pop(7)
    smaller = write_csv(tmp_path / "名录库-改.csv", HEADER, rows)
    result = run("draw", "--verify", tmp_path / "r.json", "--directory", smaller)
    assert result.exit_code == 1
    assert "名录库与抽取时不同" in result.output and f"减少 1 户：{removed[0]}" in result.output


def test_one_selection_swapped_in_the_record_fails_verify_naming_it(run, directory, tmp_path):
    record = make(run, directory, tmp_path / "r.json", "--count", 5)
    honest = record["selected"][2]
    record["selected"][2] = next(u for u in record["directory"]["usccs"] if u not in record["selected"])
    (tmp_path / "r.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = run("draw", "--verify", tmp_path / "r.json", "--directory", directory)
    assert result.exit_code == 1 and "不一致" in result.output
    assert f"记录中第3个 {record['selected'][2]} 不应被抽中" in result.output
    assert f"应抽中但记录中没有：{honest}" in result.output


def test_over_many_seeds_every_entity_is_drawn_equally_often():
    """2,000 fixed seeds, 5 of 20 drawn each time: every entity expects 500 draws. The
    threshold (p < 1e-6) is generous, and the seeds are fixed, so this cannot flake."""
    directory = draw.Directory("名录库.csv", "", [uscc(i) for i in range(1, 21)], None)
    counts = Counter()
    for n in range(2000):
        selected, _ = draw.select(directory, f"种子{n}", draw.Parameters(count=5))
        counts.update(selected)
    observed = [counts[u] for u in directory.usccs]
    assert sum(observed) == 10000
    assert chisquare(observed).pvalue > 1e-6


@pytest.mark.parametrize("args, message", [
    (("--count", 31), "抽取数量 31 超过可抽取的市场主体数 30"),
    (("--ratio", "五成"), "抽取比例“五成”有误"),
    (("--count", 3, "--ratio", "5%"), "请给出抽取数量（--count）或抽取比例（--ratio）之一"),
    (("--count", 3, "--stratify-by", "注册资本"), "名录库中没有“注册资本”列"),
    (("--count", 3, "--exclude", "没有这个文件.txt"), "找不到文件：没有这个文件.txt"),
])
def test_bad_parameters_get_a_clear_message(run, directory, tmp_path, args, message):
    result = run("draw", "--directory", directory, "--seed", "s", "--out", tmp_path / "r.json", *args)
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "r.json").exists()


def test_a_bad_directory_lists_every_bad_row(run, tmp_path):
    rows = directory_rows(5)
    rows[1][0] = rows[1][0][:-1] + ("0" if rows[1][0][-1] != "0" else "1")
    rows[3][0] = rows[0][0]
    bad = write_csv(tmp_path / "名录库.csv", HEADER, rows)
    result = run("draw", "--directory", bad, "--count", 2, "--seed", "s", "--out", tmp_path / "r.json")
    assert result.exit_code == 1
    assert "名录库.csv:2: column '统一社会信用代码'" in result.output and "校验位错误" in result.output
    assert "名录库.csv:4: column '统一社会信用代码'" in result.output and "与第1行重复" in result.output


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("seed"), "抽取记录缺少字段：seed"),
    (lambda r: r.update(algorithm="md5-shuffle"), "未知的抽取算法“md5-shuffle”"),
    (lambda r: r["selected"].append(r["selected"][0]), "重复"),
    (lambda r: r["directory"]["usccs"].__setitem__(0, "91320602MA00000010"), "校验位错误"),
    (lambda r: r["parameters"].update(count="三"), "parameters.count 应为整数或 null"),
])
def test_a_bad_record_gets_a_clear_message(run, directory, tmp_path, change, message):
    record = make(run, directory, tmp_path / "r.json", "--count", 3)
    change(record)
    (tmp_path / "r.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = run("draw", "--verify", tmp_path / "r.json", "--directory", directory)
    assert result.exit_code == 1 and message in result.output


def test_a_record_that_is_not_json_gets_a_clear_message(run, directory, tmp_path):
    (tmp_path / "r.json").write_text("{not json", encoding="utf-8")
    result = run("draw", "--verify", tmp_path / "r.json", "--directory", directory)
    assert result.exit_code == 1 and "抽取记录不是有效的 JSON" in result.output
