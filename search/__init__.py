"""Search: a Whoosh index derived from the store (the store stays the truth).

The whole interface is here; `portal/` and `api/` use nothing else, so the engine behind it
can change. `search()` raises QueryError with a Chinese message for a bad query, and its
subclass SearchUnavailable when no index has been built yet (`gongshi index --rebuild`).
"""
from gongshi.search.engine import MAX_RESULTS, Hit, QueryError, SearchResult, SearchUnavailable, search
from gongshi.search.index import Drift, check, index_all, remove_orphans, repair, update

__all__ = ["Drift", "Hit", "MAX_RESULTS", "QueryError", "SearchResult", "SearchUnavailable", "check", "index_all",
           "remove_orphans", "repair", "search", "update"]
