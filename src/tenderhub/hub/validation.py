"""Release validation at the hub: the OCDS 1.1.5 schema (with the bids, lots and tenderhub
extensions) through ``tenderhub.exchange.ocds.validate``. Every problem is reported as a JSON
pointer into the request body (``/release/…``) with its reason.

One compiled validator answers the common case (``is_valid``, no error objects built); only
a release that fails is walked again for every problem.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs

from tenderhub.core.shared.errors import Invalid
from tenderhub.exchange.ocds.extension import release_schema
from tenderhub.exchange.ocds.validate import resources, validate_release

KEYS = ("ocid", "id", "date")


class ReleaseInvalid(Invalid):
    """The release breaks the schema; ``problems`` lists every ``{path, message}``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        first = problems[0]
        super().__init__(f"{first['path']}: {first['message']}", message_zh=f"{first['path']}：不符合 OCDS 发布格式（{first['message']}）",
                         field=first["path"], code="invalid_release")
        self.problems = problems


@cache
def _validator() -> Any:
    return jsonschema_rs.Draft4Validator(release_schema(), registry=jsonschema_rs.Registry(resources()), validate_formats=True)


def check_release(release: dict[str, Any]) -> None:
    if _validator().is_valid(release) and all(isinstance(release.get(k), str) and release[k] for k in KEYS):
        return
    found = [{"path": "/release" + p.path, "message": p.message} for p in validate_release(release)]
    found += [{"path": f"/release/{k}", "message": "a non-empty string is required"}
              for k in KEYS if not (isinstance(release.get(k), str) and release[k])]
    if found:
        raise ReleaseInvalid(sorted({(p["path"], p["message"]): p for p in found}.values(), key=lambda p: p["path"]))
