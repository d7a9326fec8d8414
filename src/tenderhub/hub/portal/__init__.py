"""The hub's public portal (公共服务平台门户): announcements derived from ingested releases
(``announcements``), the search and company API and the HTML page (``routes``, ``page``),
subscriptions with Atom feeds and signed webhooks (``subscriptions``, ``delivery``).
See docs/portal-search.md. Tables: ``store``."""
