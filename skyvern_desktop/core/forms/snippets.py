"""The same run as code: "Copy as cURL" and "Copy as Python", like Skyvern's Run from Code page.

The key is always written as ``$SKYVERN_API_KEY`` (or read from that variable), never as
the real key: the snippet may be pasted anywhere.
"""

from __future__ import annotations

import json
import pprint
from typing import Any

from ...api.paths import CLOUD_BASE_URL, ApiPath


def _shell_single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def as_curl(base_url: str, body: dict[str, Any]) -> str:
    """A cURL command that starts the same run (body as sent by the app)."""
    url = base_url.rstrip("/") + ApiPath.RUN_WORKFLOW
    payload = json.dumps(body, indent=2, ensure_ascii=False)
    return (
        f'curl -X POST "{url}" \\\n'
        '  -H "x-api-key: $SKYVERN_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {_shell_single_quoted(payload)}\n"
    )


def as_python(base_url: str, body: dict[str, Any]) -> str:
    """The Python SDK call (``skyvern`` package) that starts the same run."""
    args = dict(body)
    workflow_id = args.pop("workflow_id")
    lines = [f"        workflow_id={workflow_id!r},"]
    for key, value in args.items():
        text = pprint.pformat(value, indent=4, width=80, sort_dicts=False)
        text = text.replace("\n", "\n        ")
        lines.append(f"        {key}={text},")
    client_args = 'api_key=os.getenv("SKYVERN_API_KEY")'
    if base_url.rstrip("/") != CLOUD_BASE_URL:
        client_args += f", base_url={base_url.rstrip('/')!r}"
    call = "\n".join(lines)
    return (
        "import os\n"
        "import asyncio\n"
        "from skyvern import Skyvern\n"
        "\n"
        "\n"
        "async def main():\n"
        f"    client = Skyvern({client_args})\n"
        "\n"
        "    run = await client.run_workflow(\n"
        f"{call}\n"
        "    )\n"
        '    print(f"Run ID: {run.run_id}")\n'
        "\n"
        "\n"
        "asyncio.run(main())\n"
    )
