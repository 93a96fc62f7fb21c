"""Blog dump ETL: extract → transform → validate → load → report."""

__version__ = "0.1.0"
