"""The trading platform (交易平台) HTTP API: ``create_app(platform)``."""
