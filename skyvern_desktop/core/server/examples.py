"""The example workflows a new local server starts with (``resources/example-workflows.json``).

They run with no LLM key: a wait, an HTTP request to the server's own ``/v1/version``, one
with inputs of every kind, and one that opens a web page (that one needs a browser).
They are imported once per local server; a marker in its data folder remembers it.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ...api.client import SkyvernClient

log = logging.getLogger(__name__)

SERVER_URL_MARK: Final = "__SERVER_URL__"
MARKER_NAME: Final = "examples-imported.json"


def example_definitions(server_url: str) -> list[dict[str, Any]]:
    """The examples' definitions, with the local server's address filled in."""
    raw = resources.files("skyvern_desktop.resources").joinpath("example-workflows.json")
    text = raw.read_text(encoding="utf-8").replace(SERVER_URL_MARK, server_url.rstrip("/"))
    workflows: list[dict[str, Any]] = json.loads(text)["workflows"]
    return workflows


async def import_examples(client: SkyvernClient, data_dir: Path) -> list[str]:
    """Create the examples on the server once; their workflow ids (empty when done before).

    The marker is written only after every example was created, so an import cut short
    is done again next time rather than left half done (an example already there is
    recognised by its title and not made twice).
    """
    marker = data_dir / MARKER_NAME
    if marker.is_file():
        return []
    existing = {w.title for w in await client.list_all_workflows()}
    created: list[str] = []
    for definition in example_definitions(client.base_url):
        if definition["title"] in existing:
            continue
        workflow = await client.create_workflow(definition)
        created.append(workflow.workflow_permanent_id)
    marker.write_text(json.dumps({"created": created}), encoding="utf-8")
    log.info("imported %d example workflows", len(created))
    return created
