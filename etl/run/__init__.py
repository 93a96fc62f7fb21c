"""The steps of a batch run: inputs, the extract workers and executors, raw rows and staging,
validation (GX in DuckDB), the merge, the key upgrade; `pipeline` composes them."""
