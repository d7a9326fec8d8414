"""``GET /hub/datasets/{code}?ocid=``: a national data-spec dataset of one contracting process
as JSON (``tenderhub.exchange.datasets``; the schema of each is ``GET /hub/datasets/{code}/schema``).

Codes: 501 502 503 504 506 507 508 510 511 512 513 519 522 523. The records are in the spec's
own field names and formats; ``?format=ocds`` gives the earlier OCDS-named view (and its schema).
An unknown code is 404 naming ``code``; a missing ``ocid`` or an unknown ``format`` 422 naming
the field; an ocid the hub has no release of 404.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.exchange import datasets
from tenderhub.hub import tables
from tenderhub.hub.context import Hub


def releases_of(hub: Hub, ocid: str) -> list[dict[str, Any]]:
    r = tables.releases
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(r.c.canonical).where(r.c.ocid == ocid).order_by(r.c.date, r.c.id)).all()
    if not rows:
        raise NotFound(f"no contracting process {ocid}", message_zh=f"没有采购过程 {ocid}", field="ocid")
    return [json.loads(row.canonical) for row in rows]


def spec_of(code: str) -> datasets.Spec:
    if code not in datasets.SPECS:
        known = " ".join(datasets.SPECS)
        raise NotFound(f"code: no dataset {code} (served: {known})", message_zh=f"code：不提供数据集 {code}（可用：{known}）", field="code")
    return datasets.SPECS[code]


def view_of(format: str) -> str:
    if format not in datasets.VIEWS:
        known = " ".join(datasets.VIEWS)
        raise Invalid(f"format: must be one of {known}", message_zh=f"format：只能是 {known} 之一", field="format")
    return format


def get_dataset(request: Request, code: str, ocid: str | None = None, format: str = "spec") -> dict[str, Any]:
    """国家数据规范数据集 / One national data-spec dataset of a contracting process."""
    spec_of(code)
    view = view_of(format)
    if not ocid:
        raise Invalid("ocid: required", message_zh="ocid：必填", field="ocid")
    return datasets.dataset(code, releases_of(request.app.state.hub, ocid), view)


def get_schema(code: str, format: str = "spec") -> dict[str, Any]:
    """数据集的 JSON Schema / The JSON Schema of a dataset."""
    spec_of(code)
    return datasets.schema(code, view_of(format))


def get_index() -> list[dict[str, str]]:
    """提供的数据集 / The datasets served, with their OCDS source."""
    return [{"code": s.code, "table": s.table, "name": s.name, "source": s.source} for s in datasets.SPECS.values()]


def install(app: FastAPI) -> None:
    app.add_api_route("/hub/datasets", get_index, methods=["GET"], tags=["hub", "datasets"])
    app.add_api_route("/hub/datasets/{code}", get_dataset, methods=["GET"], tags=["hub", "datasets"])
    app.add_api_route("/hub/datasets/{code}/schema", get_schema, methods=["GET"], tags=["hub", "datasets"])
