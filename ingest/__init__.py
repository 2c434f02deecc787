"""The ingest: published checklists, plans/tasks, results, credit records and entity directories
into the store, one file per transaction."""
