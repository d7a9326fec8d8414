"""The exchange conformance kit (``tenderhub certify``): checks a trading platform over HTTP
against docs/exchange.md and docs/conformance.md."""
