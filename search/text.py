"""Chinese text for search: one folding for the index and the query, the pieces (grams) that
are indexed, and highlighting.

Folding makes full-width and half-width forms, Traditional and Simplified characters, and
upper and lower case the same (NFKC, OpenCC t2s, upper case), and drops punctuation and spaces,
so "南通市 和順（藥房）" and "南通市和顺药房" are one string. Names are indexed as their
characters and character bigrams (the analyzer the relevance set chose, see bench/search.py),
plus the first one and two characters marked as a start ("^南通") and the whole name ("=…").
Other text (address, region, plan…) is indexed as bigrams only: a one-character query looks in
names alone, and a document has about a third fewer terms to write (bench/search.py).
"""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import opencc
from whoosh.analysis import Token, Tokenizer

_T2S = opencc.OpenCC("t2s")
START, WHOLE = "^", "="
SEPARATOR = "\n"  # between the several names of one document, so no bigram spans two
# Leading characters of a code indexed as a prefix: a query of 6+ characters is looked up by
# the longest of these it reaches, and the rest of it is checked (search.engine).
CODE_PREFIXES = (6, 9, 12)
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w is exactly str.isalnum() plus "_"


def fold(text: str | None) -> str:
    """The searchable form of a text: NFKC, Simplified, upper case, letters and digits only."""
    if not text:
        return ""
    return _NOT_ALNUM.sub("", _T2S.convert(unicodedata.normalize("NFKC", text)).upper())


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return fold(ch)


def bigrams(folded: str) -> set[str]:
    """Character bigrams of one folded text (the text itself when it is one character)."""
    return {folded[i:i + 2] for i in range(len(folded) - 1)} or {folded}


def grams(folded: str) -> set[str]:
    """Characters and character bigrams of one folded name."""
    return set(folded) | bigrams(folded)


def name_terms(folded: str) -> set[str]:
    """What a name is indexed under: its grams, its start, and the whole name."""
    if not folded:
        return set()
    return grams(folded) | {START + folded[:1], START + folded[:2], WHOLE + folded}


def code_prefix(query: str) -> str | None:
    """The indexed prefix a code query of 6+ characters is looked up by."""
    return max((query[:n] for n in CODE_PREFIXES if n <= len(query)), key=len, default=None)


def code_terms(code: str) -> set[str]:
    """A USCC, registration or task number: the whole code and its CODE_PREFIXES."""
    return {code[:n] for n in CODE_PREFIXES if n < len(code)} | {WHOLE + code}


class TermsTokenizer(Tokenizer):
    """Whoosh tokenizer for fields whose value is folded names separated by SEPARATOR; `kind`
    'name' indexes name_terms, 'text' bigrams, 'code' code_terms, 'raw' each part as it is. Runs inside
    the indexing processes, so the cost of making pieces is spread over both cores."""

    def __init__(self, kind: str = "name"):
        self.kind = kind

    def __eq__(self, other):
        return isinstance(other, TermsTokenizer) and other.kind == self.kind

    def terms(self, value: str) -> set[str]:
        make = {"name": name_terms, "text": bigrams, "code": code_terms, "raw": lambda part: {part}}[self.kind]
        terms: set[str] = set()
        for part in value.split(SEPARATOR):
            if part:
                terms |= make(part)
        return terms

    def __call__(self, value: str, **kwargs):
        token = Token(**kwargs)
        for term in sorted(self.terms(value)):
            token.text, token.boost, token.stopped = term, 1.0, False
            yield token


def _folded_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character."""
    out, where = [], []
    for i, ch in enumerate(text):
        for f in _fold_char(ch):
            out.append(f)
            where.append(i)
    return "".join(out), where


def highlight(text: str, pieces: list[str]) -> str | None:
    """`text` HTML-escaped with <mark> around every occurrence of the folded pieces, or None
    when none occurs."""
    folded, where = _folded_map(text)
    marked = [False] * len(text)
    for piece in pieces:
        if not piece:
            continue
        for m in re.finditer(re.escape(piece), folded):
            # The whole original span, punctuation inside it included.
            for j in range(where[m.start()], where[m.end() - 1] + 1):
                marked[j] = True
    if not any(marked):
        return None
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i]:
            j += 1
        chunk = html.escape(text[i:j])
        out.append(f"<mark>{chunk}</mark>" if marked[i] else chunk)
        i = j
    return "".join(out)
