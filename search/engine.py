"""Answering a query from the index without ranking every match.

A folded query is looked up in tiers, each a set of index terms and a check on the document:
  0 exact: the whole name, or the whole USCC / registration / task number;
  1 start: the name starts with the query (or a code starts with its 6+ characters: looked up
    by the longest indexed prefix, search.text.CODE_PREFIXES, and checked against the codes);
  2 name: a name (current or former) contains the query;
  3 other: the address, region, type, plan, department… contains it;
  4 near: (queries of 5+ characters) a name within one wrong character of it.
A query of several words ("南通 纺织") also finds documents holding each word, in any order:
after the tiers of the words run together, in the names (rank 2) or names and other text (rank 3).
Inside a tier, hits are ordered by the most recent inspection. Every segment of the index is
written in that order, so a tier takes the first matches of each segment, in document order:
it walks the postings of its rarest term, checks the document's folded names (which also checks
the other, commoner terms), and stops when it has enough: the segments are read merged, each
only as far as the merge needs. The work per query is capped
(COUNT_CAP hits, SCAN_CAP candidates per tier and segment): beyond the cap, the total is an
estimate and the facets count the COUNT_CAP best hits (`SearchResult.total_exact` is False).
"""
from __future__ import annotations

import html
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from heapq import merge
from itertools import accumulate, islice, product
from pathlib import Path

from rapidfuzz.distance import Levenshtein
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import IndexReader

from gongshi.search.index import IndexUnavailable, searchers
from gongshi.search.source import TYPES, Checked
from gongshi.search.text import START, WHOLE, code_prefix, fold, highlight

MAX_QUERY = 100  # characters
MAX_RESULTS = 1000  # deepest result a page may reach
COUNT_CAP = 1000  # hits collected for the total and the facets
SCAN_CAP = 20_000  # candidates a tier checks in one segment
SET_LIMIT = 5_000  # a term this rare is intersected as a set rather than checked per document
NEAR_MIN = 5  # queries this long also find names one character off
NEAR_DF = 20_000  # bigrams commoner than this do not propose near candidates
NEAR_CANDIDATES = 200
SUGGESTIONS = 5
MAX_WORDS = 4  # words of a query searched each on its own (a tier per placement: 2**words)
FACETS = ("type", "region", "entity_type", "department", "result", "year")


class QueryError(ValueError):
    """A query that cannot be answered; str() is a message for the person who typed it."""


class SearchUnavailable(QueryError, IndexUnavailable):
    """No index to search yet: the message says to run `gongshi index --rebuild`."""


@dataclass
class Hit:
    type: str  # "enterprise" | "task" | "plan" | "check_item"
    key: str  # uscc (or reg_no) | task_no | plan_no | str(check_item.id)
    name: str
    highlight: str  # HTML-safe, <mark>…</mark> around the match
    extra: dict  # region, entity_type, former_names, latest_inspection, departments, match …


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]]
    suggestions: list[str]
    exact: Hit | None
    total_exact: bool = True  # False: more matched than COUNT_CAP; total is an estimate
    pages: int = 0  # pages that can be shown (at most MAX_RESULTS results)


@dataclass
class _Tier:
    rank: int
    match: str  # exact, start, name, other, code
    terms: list[tuple[str, str]]  # (field, term), all required
    check: Callable[[Checked], bool]


@dataclass(order=True)
class _Found:
    sort: tuple
    doc: Checked = field(compare=False)
    match: str = field(compare=False)
    reader: IndexReader = field(compare=False)
    docnum: int = field(compare=False)

    @property
    def doc_id(self) -> str:
        return self.doc.doc_id


# --- the query ------------------------------------------------------------------------------

def _validate(query: str | None, type: str | None, filters: dict | None, page: int, per_page: int) -> str:
    if query is None or not query.strip():
        raise QueryError("请输入要查找的名称、统一社会信用代码或关键词")
    if len(query) > MAX_QUERY:
        raise QueryError(f"查询过长：最多 {MAX_QUERY} 个字符，收到 {len(query)} 个")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in query):
        raise QueryError("查询中含有控制字符，请删除后重试")
    if type is not None and type not in TYPES:
        raise QueryError(f"未知的类型“{type}”，可选：{'、'.join(TYPES)}")
    unknown = set(filters or {}) - set(FACETS)
    if unknown:
        raise QueryError(f"未知的筛选条件：{'、'.join(sorted(unknown))}；可选：{'、'.join(FACETS)}")
    if page < 1 or not 1 <= per_page <= 100:
        raise QueryError("页码须从 1 开始，每页 1 至 100 条")
    if (page - 1) * per_page >= MAX_RESULTS:
        raise QueryError(f"最多显示前 {MAX_RESULTS} 条结果，请缩小查询范围")
    folded = fold(query)
    if not folded:
        raise QueryError("查询中没有可查找的文字或数字")
    return folded


def _bigrams(q: str) -> list[str]:
    return sorted({q[i:i + 2] for i in range(len(q) - 1)}) or [q]


def _words(query: str) -> list[str]:
    """The folded words of a query typed with spaces ("南通 纺织"), each once, in order."""
    return list(dict.fromkeys(w for w in map(fold, query.split()[:MAX_WORDS]) if w))


def _terms(field: str, word: str) -> list[tuple[str, str]]:
    """Index terms that a field holding `word` must have: names also index single characters,
    other text only bigrams (a one-character word in other text has no term to look up)."""
    return [(field, g) for g in _bigrams(word)] if field == "n" or len(word) > 1 else []


def _word_tiers(words: list[str]) -> list[_Tier]:
    """Several words: each somewhere in the document, in any order. In the names (rank 2), or in
    names and other text together (rank 3): one tier per way of placing each word in a name
    field or the other text, since a tier's terms are all required."""
    in_names = _Tier(2, "name", [t for w in words for t in _terms("n", w)],
                     lambda c: all(any(w in n for n in c.names) for w in words))
    tiers = [in_names]
    for fields in product("no", repeat=len(words)):
        if "o" not in fields or any(f == "o" and len(w) < 2 for f, w in zip(fields, words)):
            continue
        tiers.append(_Tier(3, "other", [t for f, w in zip(fields, words) for t in _terms(f, w)],
                           lambda c: all(w in c.other or any(w in n for n in c.names) for w in words)))
    return tiers


def _tiers(q: str, filter_terms: list[str], words: list[str]) -> list[_Tier]:
    pieces = [("n", g) for g in _bigrams(q)]
    tiers = [
        _Tier(0, "exact", [("n", WHOLE + q)], lambda c: True),
        _Tier(1, "start", [("n", START + q[:2])] + (pieces if len(q) > 2 else []),
              lambda c: any(n.startswith(q) for n in c.names)),
        _Tier(2, "name", pieces, lambda c: any(q in n for n in c.names)),
        _Tier(3, "other", [("o", g) for g in _bigrams(q)], lambda c: q in c.other),
    ]
    if q.isascii() and q.isalnum():
        tiers.insert(1, _Tier(0, "code", [("c", WHOLE + q)], lambda c: True))
        prefix = code_prefix(q)
        if prefix:
            tiers.insert(3, _Tier(1, "code", [("c", prefix)], lambda c: any(code.startswith(q) for code in c.codes)))
    if len(words) > 1:
        tiers += _word_tiers(words)
    wanted = set(filter_terms)
    for tier in tiers:
        tier.terms = tier.terms + [("f", t) for t in filter_terms]
        if wanted:
            check = tier.check
            tier.check = lambda c, check=check: wanted.issubset(c.facets) and check(c)
    return tiers


def _filter_terms(type: str | None, filters: dict | None) -> list[str]:
    terms = [f"type={type}"] if type else []
    return terms + [f"{k}={v}" for k, v in sorted((filters or {}).items()) if v not in (None, "")]


# --- walking a segment ----------------------------------------------------------------------

def _doc_ids(reader: IndexReader, fieldname: str, term: str) -> Iterator[int]:
    """The live documents of a term. Whoosh's all_ids() takes a few Python calls a posting (a
    common bigram has a third of a million at 1,000,000 entities); a Whoosh 3 posting list is
    decoded here a block at a time instead (the document numbers are stored as deltas)."""
    matcher = reader.postings(fieldname, term)
    deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
    leaf = matcher.child if deleted else matcher  # deletions: a FilterMatcher around the leaf
    if type(leaf) is not W3LeafMatcher:
        yield from matcher.all_ids()
        return
    while leaf.is_active():
        if leaf._data is None:
            leaf._read_data()
        block = accumulate(leaf._data[0])
        yield from (d for d in block if d not in deleted) if deleted else block
        leaf._next_block()


class _Scan:
    """The documents of one segment that satisfy a tier, in document order, checked only as
    they are asked for: a tier reads the segments' matches merged and stops at the cap."""

    def __init__(self, reader: IndexReader, tier: _Tier, seen: set[str]):
        self.reader, self.tier, self.seen = reader, tier, seen
        self.dfs = sorted((reader.doc_frequency(f, t), f, t) for f, t in dict.fromkeys(tier.terms))
        self.checked = self.accepted = 0
        self.complete = False  # every candidate was checked

    @property
    def estimate(self) -> float:
        """Matches in this segment, estimated from the candidates checked when not complete."""
        if self.complete or not self.checked:
            return self.accepted
        return self.accepted / self.checked * self.dfs[0][0]

    def __iter__(self) -> Iterator[_Found]:
        if not self.dfs or self.dfs[0][0] == 0:
            self.complete = True
            return
        reader, tier = self.reader, self.tier
        sets = [set(_doc_ids(reader, f, t)) for df, f, t in self.dfs[1:] if df <= SET_LIMIT]
        column = reader.column_reader("v", translate=False)
        for docnum in _doc_ids(reader, *self.dfs[0][1:]):
            if any(docnum not in s for s in sets):
                continue
            if self.checked >= SCAN_CAP:
                return
            self.checked += 1
            doc = Checked.parse(column[docnum])
            if not tier.check(doc):
                continue
            self.accepted += 1
            if doc.doc_id not in self.seen:
                yield _Found((tier.rank, -doc.recency, doc.order), doc, tier.match, reader, docnum)
        self.complete = True


def _collect(readers, tiers: list[_Tier], cap: int) -> tuple[list[_Found], float, bool]:
    """Hits of every tier in rank order, at most `cap`; the estimated total; whether exact."""
    hits: list[_Found] = []
    seen: set[str] = set()
    estimate, exact = 0.0, True
    for tier in tiers:
        want = cap - len(hits)
        if want <= 0:
            exact = False
            break
        scans = [_Scan(reader, tier, seen) for reader in readers]
        merged = merge(*scans)
        taken = list(islice(merged, want))
        exact &= next(merged, None) is None and all(s.complete for s in scans)
        estimate += sum(s.estimate for s in scans)
        seen.update(hit.doc_id for hit in taken)
        hits += taken
    return hits, max(estimate, len(hits)), exact


# --- near matches and suggestions -----------------------------------------------------------

def _distance(q: str, names: list[str]) -> int:
    """Fewest edits that turn `q` into a piece of one of the names."""
    best = len(q)
    for name in names:
        for size in (len(q) - 1, len(q), len(q) + 1):
            for i in range(max(1, len(name) - size + 1)):
                best = min(best, Levenshtein.distance(q, name[i:i + size], score_cutoff=best))
                if best == 0:
                    return 0
    return best


def _near(readers, q: str, filter_terms: list[str], strict: bool) -> list[_Found]:
    """Documents sharing the most pieces with `q`. Strict: only those one edit away, as hits."""
    pieces = _bigrams(q) if len(q) >= 3 else sorted(set(q))
    wanted = set(filter_terms)
    out = []
    for reader in readers:
        column = reader.column_reader("v", translate=False)
        counts: Counter[int] = Counter()
        used = 0
        for piece in pieces:
            if 0 < reader.doc_frequency("n", piece) <= NEAR_DF:
                used += 1
                counts.update(_doc_ids(reader, "n", piece))
        need = max(1, used - 2) if strict else 1
        for docnum, shared in counts.most_common(NEAR_CANDIDATES):
            if shared < need:
                break
            doc = Checked.parse(column[docnum])
            if not wanted.issubset(doc.facets):
                continue
            distance = _distance(q, doc.names)
            if strict and distance > 1:
                continue
            out.append(_Found((4, distance, -shared, -doc.recency, doc.order), doc, "near", reader, docnum))
    return sorted(out)


# --- results --------------------------------------------------------------------------------

def _highlight(payload: dict, q: str, match: str, words: list[str]) -> str:
    name, extra = payload["name"], payload["x"]
    pieces = [q, *words] if match != "near" else [g for g in _bigrams(q) if any(g in n for n in payload["ns"])]
    marked = highlight(name, pieces)
    if marked:
        return marked
    for label, values in (("曾用名", extra.get("former_names") or []), ("统一社会信用代码", [extra.get("uscc")]),
                          ("注册号", [extra.get("reg_no")]), ("编号", [extra.get("task_no") or extra.get("plan_no")]),
                          ("住所", [extra.get("address")])):
        for value in values:
            marked = highlight(value, pieces) if value else None
            if marked:
                return f"{html.escape(name)}（{label}：{marked}）"
    return html.escape(name)


def _hit(found: _Found, q: str, words: list[str] = ()) -> Hit:
    p = found.reader.stored_fields(found.docnum)["s"]
    return Hit(type=p["k"], key=p["key"], name=p["name"], highlight=_highlight(p, q, found.match, list(words)),
               extra={**p["x"], "match": found.match})


def _facets(hits: list[_Found]) -> dict[str, list[tuple[str, int]]]:
    counts: dict[str, Counter] = {name: Counter() for name in FACETS}
    for hit in hits:
        for term in hit.doc.facets:
            name, _, value = term.partition("=")
            counts[name][value] += 1
    return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for name, c in counts.items()}


def search(index_dir: Path, query: str, *, type: str | None = None, filters: dict | None = None,
           page: int = 1, per_page: int = 20) -> SearchResult:
    """Entities, tasks, plans and checklist items matching `query`; raises QueryError (bad
    query, or SearchUnavailable when no index has been built yet)."""
    q = _validate(query, type, filters, page, per_page)
    words = _words(query)
    filter_terms = _filter_terms(type, filters)
    with searchers.lock:
        try:
            readers = [reader for reader, _ in searchers.get(index_dir).reader().leaf_readers()]
        except IndexUnavailable as exc:
            raise SearchUnavailable(str(exc)) from exc
        cap = max(COUNT_CAP, page * per_page)
        hits, estimate, exact = _collect(readers, _tiers(q, filter_terms, words), cap)
        if len(q) >= NEAR_MIN and len(hits) < SUGGESTIONS:
            seen = {h.doc_id for h in hits}
            hits += [h for h in _near(readers, q, filter_terms, strict=True) if h.doc_id not in seen][:SUGGESTIONS]
            estimate = max(estimate, len(hits))
        suggestions = [] if hits else list(dict.fromkeys(
            _hit(h, q).name for h in _near(readers, q, filter_terms, strict=False)[:3 * SUGGESTIONS]))[:SUGGESTIONS]
        page_hits = [_hit(h, q, words) for h in hits[(page - 1) * per_page: page * per_page]]
        full_code = len(q) == 18 and hits and hits[0].match == "code" and hits[0].sort[0] == 0
        exact_hit = _hit(hits[0], q) if full_code else None
    total = len(hits) if exact else int(estimate)
    return SearchResult(query=query, hits=page_hits, total=total, page=page, per_page=per_page,
                        facets=_facets(hits), suggestions=suggestions, exact=exact_hit, total_exact=exact,
                        pages=-(-min(total, MAX_RESULTS) // per_page))
