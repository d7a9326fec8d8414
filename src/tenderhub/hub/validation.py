"""Release validation at the hub: the OCDS 1.1.5 schema (with the bids, lots and tenderhub
extensions) through ``tenderhub.exchange.ocds.validate``. Every problem is reported as a JSON
pointer into the request body (``/release/…``) with its reason."""

from __future__ import annotations

from typing import Any

from tenderhub.core.shared.errors import Invalid
from tenderhub.exchange.ocds.validate import validate_release

KEYS = ("ocid", "id", "date")


class ReleaseInvalid(Invalid):
    """The release breaks the schema; ``problems`` lists every ``{path, message}``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        first = problems[0]
        super().__init__(f"{first['path']}: {first['message']}", message_zh=f"{first['path']}：不符合 OCDS 发布格式（{first['message']}）",
                         field=first["path"], code="invalid_release")
        self.problems = problems


def check_release(release: dict[str, Any]) -> None:
    found = [{"path": "/release" + p.path, "message": p.message} for p in validate_release(release)]
    found += [{"path": f"/release/{k}", "message": "a non-empty string is required"}
              for k in KEYS if not (isinstance(release.get(k), str) and release[k])]
    if found:
        raise ReleaseInvalid(sorted({(p["path"], p["message"]): p for p in found}.values(), key=lambda p: p["path"]))
