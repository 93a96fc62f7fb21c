"""Extract: a dump document → decoded text → posts."""

from etl.extract.parser import Comment, Page, ParseWarning, Post, parse_page
from etl.extract.reader import Document, Rejected

__all__ = ["Comment", "Document", "Page", "ParseWarning", "Post", "Rejected", "parse_page"]
