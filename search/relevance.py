"""The relevance set (tests/relevance/queries.toml) and how a case is judged.

Shared by the regression test and by bench/search.py, which also judges other analyzers with
it: an engine is any function from a query to an `Answer`.
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gongshi.search.text import fold

RELEVANCE_SET = Path(__file__).resolve().parent.parent / "tests" / "relevance" / "queries.toml"


@dataclass
class Answer:
    hits: list[tuple[str, str, list[str]]]  # (type, name, every folded text the hit was found by)
    exact: str | None = None  # name of the entity a full USCC went straight to
    suggestions: list[str] = field(default_factory=list)


def load(path: Path = RELEVANCE_SET) -> tuple[dict, list[dict]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return data["city"], data["case"]


def judge(case: dict, answer: Answer) -> str | None:
    """None when the answer satisfies the case, else what is wrong."""
    names = [name for kind, name, _ in answer.hits if kind == case.get("type", "enterprise")]
    if case.get("suggest"):
        if answer.hits:
            return f"expected no hit, got {names[:3]}"
        if not answer.suggestions or ("expect" in case and case["expect"] not in answer.suggestions):
            return f"suggestions {answer.suggestions} lack {case.get('expect', 'any name')}"
        return None
    if case.get("contains"):
        q = fold(case["query"])
        wrong = [name for _, name, texts in answer.hits if not any(q in t for t in texts)]
        if not answer.hits or wrong:
            return f"hits not containing the query: {wrong[:3]}" if wrong else "no hit"
        return None
    if case.get("exact") and answer.exact != case["expect"]:
        return f"exact is {answer.exact!r}"
    if case["expect"] not in names[:case["within"]]:
        rank = names.index(case["expect"]) + 1 if case["expect"] in names else None
        return f"{case['expect']} at rank {rank}, wanted ≤ {case['within']} (top: {names[:3]})"
    return None


def evaluate(run: Callable[[str], Answer], cases: list[dict]) -> dict[str, str]:
    """Failures by query."""
    failures = {}
    for case in cases:
        problem = judge(case, run(case["query"]))
        if problem:
            failures[case["query"]] = problem
    return failures
