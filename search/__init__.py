"""Search: a Whoosh index derived from the store (the store stays the truth)."""
