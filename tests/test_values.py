"""Normalising published values: each form a published file uses, and each refusal."""
import datetime as dt
from decimal import Decimal

import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from gongshi.ingest import values as v
from gongshi.store.vocabulary import known_result, mask_personal
from tests.factories import uscc


@pytest.mark.parametrize("text", ["2021-04-23", "2021/4/23", "2021年4月23日", "2021.4.23", "20210423",
                                  "２０２１－０４－２３", "2021-04-23 09:30:00", 44309, "44309",
                                  dt.datetime(2021, 4, 23, 9, 30)])
def test_every_published_date_form_reads_as_the_same_day(text):
    assert v.parse_date(text) == dt.date(2021, 4, 23)


@pytest.mark.parametrize("text,reason", [("2021-02-30", "不存在的日期"), ("2021年13月1日", "不存在的日期"),
                                         ("四月二十三", "无法识别的日期格式")])
def test_impossible_dates_are_refused_with_a_reason(text, reason):
    with pytest.raises(v.ValueProblem, match=reason):
        v.parse_date(text)


@pytest.mark.parametrize("text,value,qualifier", [("约1000", 1000, "approximate"), ("不少于13", 13, "minimum"),
                                                  ("354", 354, "exact"), ("1,200户", 1200, "exact"),
                                                  ("100家以上", 100, "minimum"), ("按比例抽取", None, None)])
def test_planned_counts_keep_their_qualifier(text, value, qualifier):
    assert v.parse_count(text) == v.Count(value, qualifier)


@pytest.mark.parametrize("text,percent,uncapped", [("15.38%", Decimal("15.38"), False), ("0.2%", Decimal("0.2"), False),
                                                   ("不设上限", None, True), ("5‰", Decimal("0.5"), False),
                                                   (0.15, Decimal("15"), False), ("视情况确定", None, False)])
def test_ratios(text, percent, uncapped):
    ratio = v.parse_ratio(text)
    assert ratio.percent == percent and ratio.uncapped == uncapped


def test_a_ratio_above_everything_is_refused():
    with pytest.raises(v.ValueProblem):
        v.parse_ratio("150%")


@pytest.mark.parametrize("text,unit,yuan", [("5000", "元", Decimal("5000.00")), ("0.5", "万元", Decimal("5000.00")),
                                            ("1.2万元", "元", Decimal("12000.00")), (3000, "元", Decimal("3000.00")),
                                            ("¥1,500.5", "元", Decimal("1500.50"))])
def test_amounts_honour_the_unit_of_header_or_cell(text, unit, yuan):
    assert v.parse_amount(text, unit) == yuan


def test_uscc_accepts_codes_of_letter_authorities_that_stdnum_validate_rejects():
    code = uscc(7, authority="Y1")  # 农民专业合作社 registered by a Y-series authority
    with pytest.raises(ValidationError):
        stdnum_uscc.validate(code)
    assert v.normalise_uscc(code.lower()[:6] + " " + code.lower()[6:]) == code


@pytest.mark.parametrize("authority,region", [("91", "320602"), ("Y1", "320682"), ("A1", "110105"), ("N2", "440305")])
def test_uscc_check_character_is_python_stdnums(authority, region):
    for n in range(0, 10**7, 99_991):
        body = uscc(n, authority, region)[:17]
        accepted = set()
        for check in v.USCC_CHARACTERS:
            try:
                accepted.add(v.normalise_uscc(body + check)[17])
            except v.ValueProblem:
                pass
        assert accepted == {stdnum_uscc.calc_check_digit(body)}


@pytest.mark.parametrize("mutate,reason", [(lambda c: c[:-1] + ("1" if c[-1] != "1" else "2"), "校验位"),
                                           (lambda c: c[:17], "18位"), (lambda c: c[:5] + "I" + c[6:], "不允许的字符")])
def test_uscc_refusals_say_what_is_wrong(mutate, reason):
    with pytest.raises(v.ValueProblem, match=reason):
        v.normalise_uscc(mutate(uscc(42)))


def test_id_card_and_phone_numbers_in_free_text_are_masked():
    text = "经营者王某（身份证号32060219850615123X，电话13812345678，座机0513-85123456）拒不配合"
    masked = mask_personal(text)
    assert "32060219850615123X" not in masked and "13812345678" not in masked and "85123456" not in masked
    assert masked.startswith("经营者王某（身份证号320602") and "138****5678" in masked


def test_a_uscc_in_free_text_is_not_mistaken_for_an_id_card():
    code = uscc(99)
    assert mask_personal(f"关联企业{code}") == f"关联企业{code}"


@pytest.mark.parametrize("text,parts", [("教育、市监、公安", ["教育", "市监", "公安"]), ("应急;农村农业", ["应急", "农村农业"]),
                                        ("卫健，市监,公安；消防", ["卫健", "市监", "公安", "消防"])])
def test_several_departments_in_one_cell_are_split(text, parts):
    assert v.split_list(text) == parts


def test_vocabularies():
    assert v.task_type("定向抽查") == "定向" and v.task_type("不定向") == "不定向"
    assert v.item_class("重点") == "重点检查事项" and v.item_class("一般检查") == "一般检查事项"
    assert v.credit_kind("列入异常名录") == "列入经营异常名录"
    assert v.risk_class("乙类") == "B"
    assert known_result("通过登记的住所(经营场所)无法联系") == "通过登记的住所（经营场所）无法联系"
