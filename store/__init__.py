"""The store: models, sessions, migrations and the read-side queries (the truth of Gongshi)."""
