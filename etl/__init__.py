"""Blog dump ETL: extract → transform → validate → load → report."""

__version__ = "0.2.0"
