"""Core values and settings: where resources are, the project config, the reference lists, the
table definitions, DuckDB connections, the run record and the registry of a run's hand-offs.
Imports nothing above it."""
