"""The regime's vocabulary that every layer shares: result values, credit kinds, risk classes,
the comparison form of text, and the masking of personal numbers in free text."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s\u3000\u00a0\ufeff]+")


def fold(text: str) -> str:
    """A comparison form: full-width to half-width (NFKC), no spaces, upper case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()


# --- personal data --------------------------------------------------------------------------

# A resident ID number (居民身份证号码): 6-digit region, birth date, sequence, check character.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID_CARD_15 = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[-－—](\d{3,4})(\d{4})(?!\d)")


_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# A WeChat id (6–20 letters, digits, _ or -, starting with a letter) after the word that names it.
_WECHAT = re.compile(r"((?:微信|威信|薇信|vx|v信|wx|wechat|weixin)[号]?\s*(?:id|ID)?\s*[:：是为]?\s*)"
                     r"([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])", re.IGNORECASE)
# What each pattern above cannot match without: most published text (names, items, results)
# has none of it and is passed by one search instead of six substitutions.
_MAYBE_PERSONAL = re.compile(r"\d|@|微信|威信|薇信|vx|v信|wx|wechat|weixin", re.IGNORECASE)


@lru_cache(maxsize=8192)  # result files repeat the same authorities, items and results
def mask_personal(text: str | None) -> str | None:
    """Mask ID-card and phone numbers, e-mail addresses and WeChat ids that slipped into free
    text: keep the region and last digits, an address's first character and domain, an id's ends."""
    if not text or not _MAYBE_PERSONAL.search(text):
        return text
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)
    text = _ID_CARD_15.sub(lambda m: m.group(1) + "*" * 9, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _WECHAT.sub(lambda m: f"{m.group(1)}{m.group(2)[:2]}****{m.group(2)[-2:]}", text)


# The result values of the national publicity system (FORMATS.md, from Zhejiang's code list).
KNOWN_RESULTS = (
    "未发现问题", "未按规定公示应当公示的信息", "公示信息隐瞒真实情况弄虚作假",
    "通过登记的住所（经营场所）无法联系", "不配合检查情节严重", "发现问题经责令已改正",
    "发现问题待后续处理", "未发现开展本次抽查涉及的经营活动", "已关闭停业或正在组织清算",
    "违反其他部门相关规定", "注销", "被吊销", "迁出",
)
_KNOWN_FOLDED = {fold(r): r for r in KNOWN_RESULTS}
# Results that do not count as "problems found" (the portal's definition of 发现问题, on /about).
NO_PROBLEM_RESULTS = frozenset({"未发现问题", "未发现开展本次抽查涉及的经营活动"})


@lru_cache(maxsize=4096)  # a file uses a handful of result values, a million times over
def known_result(text: str | None) -> str | None:
    """The code-list spelling of a result, matching full-/half-width brackets; None if unknown."""
    if not text:
        return None
    return _KNOWN_FOLDED.get(fold(text))


CREDIT_KINDS = {
    "行政处罚": ("行政处罚", "处罚", "行政处罚信息", "处罚信息"),
    "列入经营异常名录": ("列入经营异常名录", "列入异常名录", "经营异常名录列入", "列异", "列入经营异常"),
    "移出经营异常名录": ("移出经营异常名录", "移出异常名录", "经营异常名录移出", "移异", "移出经营异常"),
    "列入严重违法失信名单": ("列入严重违法失信名单", "列入严重违法失信企业名单", "列入黑名单", "严重违法失信名单列入",
                   "列入严重违法失信企业名单（黑名单）"),
    "移出严重违法失信名单": ("移出严重违法失信名单", "移出严重违法失信企业名单", "移出黑名单", "严重违法失信名单移出"),
    "信用风险分类": ("信用风险分类", "风险分类", "信用风险分类结果", "信用等级"),
}
# 信用风险分类: A (low risk) to D (high risk), with what each means to a reader.
RISK_CLASSES = {"A": "低风险", "B": "一般风险", "C": "较高风险", "D": "高风险"}
