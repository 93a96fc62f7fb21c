"""Extract: a dump document → decoded text → posts."""

from etl.extract.parser import Comment, Page, Post, Warning, parse_page
from etl.extract.reader import Document, Rejected

__all__ = ["Comment", "Document", "Page", "Post", "Rejected", "Warning", "parse_page"]
