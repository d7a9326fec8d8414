"""The hub's public portal search: announcements indexed by character bigrams, the same
way on SQLite (FTS5) and PostgreSQL (GIN over a tsvector); see docs/portal-search.md.

    create_tables(engine)
    with engine.begin() as conn:
        index(conn, announcement)
    with engine.connect() as conn:
        page = search(conn, "道路 PPP项目", Filters(region="110000"), limit=20)
        more = search(conn, "道路 PPP项目", Filters(region="110000"), cursor=page.next_cursor)
"""

from tenderhub.hub.search.index import for_ocid, get, index, remove
from tenderhub.hub.search.model import TYPE_NAMES, Announcement, AnnouncementType, Filters, Page
from tenderhub.hub.search.query import search
from tenderhub.hub.search.schema import create_tables, drop_tables, optimize
from tenderhub.hub.search.schema import metadata as search_metadata
from tenderhub.hub.search.tokens import document_tokens, query_tokens, text_tokens

__all__ = [
    "TYPE_NAMES",
    "Announcement",
    "AnnouncementType",
    "Filters",
    "Page",
    "create_tables",
    "document_tokens",
    "drop_tables",
    "for_ocid",
    "get",
    "index",
    "optimize",
    "query_tokens",
    "remove",
    "search",
    "search_metadata",
    "text_tokens",
]
