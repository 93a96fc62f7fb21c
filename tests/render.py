"""Post records → dump text, in every shape the extractor reads. Pure: records in, text out.

The inverse of the parser, for round-trip tests and for generating benchmark corpora:

    text = render_page(posts, PageShape(kind="home", header="none", paragraph_break="\\n"),
                       [PostShape(byline="upper-bullets", date_style="slash-day-first"), ...])

The renderer writes what the records say; it does not make them consistent with the
shape. For the text to parse back into the same records:
- a listing or single page carries each post's footer (posted_on, categories, tag_count,
  comment_count / comments_open); a home page carries none, and its posts are excerpts
  (is_complete False, ended by the excerpt marker) except a post directly followed by
  one whose byline is dated or names a known outlet: that one is shown in full;
- with `cut_off`, the last post is written without its footer or excerpt marker (the
  crawler stopped inside it); with `cut_off="footer"` / `"footer-comments"` its footer is
  cut inside the categories / the comment field (its record should then have no categories
  / no comment count, and is_complete False);
- a single page holds one post; its `comments` become the thread, followed by the
  reply form while comments are open, else by "Comments are closed."; a footer says
  "Comments Off" only for a closed post without comments (count 0); on a single page it
  may leave the comment field out (`comment_field=False`): the thread then gives the count;
- `widgets` adds sidebar blocks (a heading of data/widget_headings.txt and teaser lines)
  after the posts: they are no posts; `cut_off="title"` ends the dump on the last post's
  title (the post has nothing else);
- a byline without a date names a known outlet or starts with "By"; a post without a
  byline has no captions; body paragraphs end like sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from etl.extract.parser import Comment, Post

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
HEADERS = {
    "greek": "Aletho News\n\nΑΛΗΘΩΣ\n\n",
    "empty": "Aletho News\n\n\n\n",
    "current": "Aletho News\n\nCurrent News and Analysis\n\n",
    "none": "",
}
PAGE_KINDS = ("listing", "home", "single")
# byline styles: separator between the parts, and whether the line is printed in capitals
BYLINE_STYLES = {
    "pipe": (" | ", False),         # By A | S | D, By A | D, S | D
    "en-dash": (" – ", False),      # By A – S – D, S – D
    "hyphen": (" - ", False),       # S - D
    "bullets": (" • ", False),
    "upper-bullets": (" • ", True),  # BY A • S • MONTH D, YYYY
    "middle-dot": (" · ", False),    # By A · S · D
    "em-dash": (" — ", False),
    "em-dash-tight": ("—", False),   # S—D
    "slash": (" / ", False),
    "double-colon": (" :: ", False),
    "pipe-tight": ("|", False),      # By A|S|D
}
# What may stand between a By name and its date instead of a separator (no outlet between).
DATE_JOINTS = (", ", " on ")
DATE_STYLES = ("long", "zero-padded", "upper", "abbreviated", "dotted", "iso", "slash-month-first",
               "slash-day-first")
EXCERPT_MARKERS = ("… continue", "… Full article")
REPLY_FORM = (
    "Leave a Reply",
    "Fill in your details below or click an icon to log in:",
    "Email (required) (Address never made public)",
    "Name (required)",
    "Website",
)


@dataclass(frozen=True)
class PageShape:
    kind: str = "listing"  # listing | home | single
    header: str = "greek"  # greek | empty | current | none
    paragraph_break: str = "\n\n"  # a blank line, or "\n": one newline throughout
    # The dump ends inside the last post: True in its body, "title" right after its title,
    # "footer" inside its footer's categories, "footer-comments" inside its comment field.
    cut_off: bool | str = False
    footer_dash: bool = False  # `DATE - Posted by | …`
    comment_field: bool = True  # False: single-page footers without the comment field
    widgets: bool = False  # sidebar widget blocks after the posts


@dataclass(frozen=True)
class PostShape:
    byline: str = "pipe"  # a key of BYLINE_STYLES
    date_style: str = "long"  # one of DATE_STYLES
    caption_twice: bool = False  # the first caption line printed twice
    excerpt_marker: str = "… continue"  # home-page excerpts: "… continue" or "… Full article"
    marker_inline: bool = False  # marker at the end of the last paragraph, else on a line of its own
    by_word: bool = True  # False: `Author – Outlet – Date` without "By"
    date_joint: str | None = None  # `By A, D` / `By A on D` (a DATE_JOINTS entry) when there is no outlet
    date_first: bool = False  # `D | By A | S`: the date first (a By line, not in capitals)


def format_date(d: date, style: str = "long") -> str:
    """A date as bylines print it."""
    month = MONTH_NAMES[d.month - 1]
    if style == "long":
        return f"{month} {d.day}, {d.year}"
    if style == "zero-padded":
        return f"{month} {d.day:02d}, {d.year}"
    if style == "upper":
        return f"{month.upper()} {d.day}, {d.year}"
    if style == "abbreviated":
        return f"{month[:3]}{'.' if len(month) > 3 else ''} {d.day}, {d.year}"
    if style == "dotted":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if style == "iso":
        return d.isoformat()
    if style == "slash-month-first":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "slash-day-first":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    raise ValueError(f"unknown date style {style!r}")


def render_byline(post: Post, shape: PostShape) -> str | None:
    """The byline line of a post, or None when the post names neither author nor outlet."""
    if not post.author and not post.source:
        return None
    sep, upper = BYLINE_STYLES[shape.byline]
    parts = [f"By {post.author}" if shape.by_word else post.author] if post.author else []
    parts += [post.source] if post.source else []
    if post.published_on:
        parts.append(format_date(post.published_on, "upper" if upper and shape.date_style == "long"
                                 else shape.date_style))
    if shape.date_joint and post.author and shape.by_word and not post.source and post.published_on:
        sep = shape.date_joint
    elif shape.date_first and post.author and shape.by_word and not upper and post.published_on:
        parts = [parts[-1], *parts[:-1]]
    line = sep.join(parts)
    return line.upper() if upper else line


def render_footer(post: Post, dash: bool = False, comment_field: bool = True) -> str:
    """`Month D, YYYY Posted by | categories | tag links | comments` (no tag field without tags;
    `DATE - Posted by` with `dash`; no comment field without `comment_field`)."""
    posted = format_date(post.posted_on) if post.posted_on else ""
    fields = [", ".join(post.categories)]
    if post.tag_count:
        fields.append(", ".join([""] * post.tag_count).strip())  # k tags: k - 1 commas
    if post.comments_open is False and not post.comment_count:
        comments = f"Comments Off on {post.title}"
    elif not post.comment_count:
        comments = "Leave a comment"
    else:
        comments = f"{post.comment_count} Comment{'s' if post.comment_count != 1 else ''}"
    return f"{posted}{' -' if dash else ''} Posted by | " + " | ".join([*fields, comments] if comment_field else fields)


CUT_FOOTERS = ("footer", "footer-comments")
CUT_COMMENT_FIELD = 7  # characters of the comment field left: none of its forms is whole so short


def cut_footer(post: Post, where: str, dash: bool = False) -> str:
    """A post's footer as the end of a dump cuts it: inside the first category ("footer") or
    inside the comment field ("footer-comments"), so only the fields before are whole."""
    whole = render_footer(post, dash)
    if where == "footer":
        head = whole[: whole.index(" | ") + 3]
        return head + post.categories[0][: max(1, len(post.categories[0]) // 2)]
    last = whole.rindex(" | ") if not (post.comments_open is False and not post.comment_count) else \
        whole.index(" | Comments Off")
    return whole[: last + 3 + CUT_COMMENT_FIELD].rstrip()


def render_thread(comments: Sequence[Comment], comments_open: bool, paragraph_break: str) -> list[str]:
    """Numbered comments, each closed by `Comment by NAME | DATE | Reply`."""
    blocks = []
    for c in comments:
        paragraphs = c.body.split("\n\n") if c.body else [""]
        text = [f"  {c.position}. {paragraphs[0]}".rstrip(), *(f"     {p}" for p in paragraphs[1:])]
        when = format_date(c.commented_on) if c.commented_on else "undated"
        text.append(f"    Comment by {c.author} | {when}" + (" | Reply" if comments_open else ""))
        blocks.append(paragraph_break.join(text))
    return blocks


WIDGETS = ("From the Archives", "An Old Story About the Same Sanctions", "March 3, 2009",
           "Featured Video", "Interview With a Former Inspector", "Aletho News Original Content",
           "Notes on a Forgotten Ceasefire")


def render_post(post: Post, shape: PostShape, *, footer: bool, marker: bool, page: PageShape = PageShape()
                ) -> list[str]:
    """The lines of one post (paragraph breaks are added by the caller)."""
    lines = [post.title]
    if page.cut_off == "title" and not footer and not marker and not post.body:
        return lines
    captions = post.subtitle.split("\n") if post.subtitle else []
    if captions and shape.caption_twice:
        captions = [captions[0], *captions]
    lines += captions
    lines += post.image_credit.split("\n") if post.image_credit else []
    byline = render_byline(post, shape)
    lines += [byline] if byline else []
    body = post.body.split("\n\n") if post.body else []
    if marker:
        if shape.marker_inline and body:
            body[-1] = f"{body[-1]} {shape.excerpt_marker}"
        else:
            body.append(shape.excerpt_marker)
    lines += body
    if footer:
        lines.append(render_footer(post, page.footer_dash, page.comment_field or page.kind != "single"))
    return lines


def render_page(posts: Sequence[Post], shape: PageShape = PageShape(),
                post_shapes: Sequence[PostShape] | None = None) -> str:
    """A whole dump: header, posts (each in its own PostShape, default PostShape()) and,
    on single pages, the comment thread and the reply form."""
    if shape.kind not in PAGE_KINDS or shape.header not in HEADERS:
        raise ValueError(f"unknown page shape {shape!r}")
    post_shapes = list(post_shapes or [])
    post_shapes += [PostShape()] * (len(posts) - len(post_shapes))
    blocks: list[str] = []
    for i, (post, post_shape) in enumerate(zip(posts, post_shapes, strict=True)):
        cut = shape.cut_off and i == len(posts) - 1
        footer_cut = cut and shape.cut_off in CUT_FOOTERS
        lines = render_post(
            post, post_shape,
            footer=shape.kind != "home" and (not cut or footer_cut),
            marker=shape.kind == "home" and not post.is_complete and not cut, page=shape,
        )
        if footer_cut:
            lines[-1] = cut_footer(post, shape.cut_off, shape.footer_dash)
        blocks.append(shape.paragraph_break.join(lines))
    if shape.kind == "single" and posts:
        first = posts[0]
        blocks += render_thread(first.comments, first.comments_open is not False, shape.paragraph_break)
        if first.comments_open is not False:
            blocks += [shape.paragraph_break.join(REPLY_FORM)]
        else:
            blocks += ["Comments are closed."]
    elif shape.widgets:
        blocks += [shape.paragraph_break.join(WIDGETS)]
    return HEADERS[shape.header] + shape.paragraph_break.join(blocks) + "\n"
