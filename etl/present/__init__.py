"""Presentation: named reports, text tables, the offline HTML pages (dashboard, validation
report) and the data dictionary. Reads the warehouse through the storage's read path."""
