"""Access records (접속기록): ingest exports, analyse them with portable SQL, state what they *show*.

Kept apart from the stated facts (design decision 12): nothing here edits facts; analyses produce *derived facts*
(``derived.DerivedFacts``) that checks may compare with what the organisation states. Heavy engines (DuckDB,
pyarrow, pyspark) are imported only inside the ``logs`` commands so other commands stay fast.
"""
