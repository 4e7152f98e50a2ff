"""Seed workflow runs into a Skyvern server's database through the server's own database
layer: its SQLAlchemy model (``WorkflowRunModel``) and its session factory (``AgentDB``).
Run with the server's Python, while the server runs on the same SQLite file.

Runs take seconds each through the API, so 10,000 are written this way instead: statuses,
times (spread over the last 90 days, a second apart at least), failure reasons and
categories as real runs have them. The server then lists them as it lists any run.

    python _seed_runs.py DATABASE_STRING ORGANIZATION_ID N WORKFLOW_ID:WPID [...]
"""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import UTC, datetime, timedelta

from skyvern.forge.sdk.db.agent_db import AgentDB
from skyvern.forge.sdk.db.models import WorkflowRunModel

FAILURES = [
    ("failed", "LLM_ERROR", "The model answered 500 at step 3"),
    ("terminated", "AUTH_FAILURE", "Invalid username or password"),
    ("timed_out", None, "The run took longer than 60 minutes"),
]


async def main() -> None:
    database, org, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    workflows = [tuple(w.split(":", 1)) for w in sys.argv[4:]]
    db = AgentDB(database)
    rng = random.Random(7)
    now = datetime.now(UTC).replace(tzinfo=None)
    step = timedelta(days=90) / n
    rows = []
    for i in range(n):
        workflow_id, wpid = workflows[i % len(workflows)]
        created = now - step * (n - i) - timedelta(minutes=5)
        started = created + timedelta(seconds=rng.uniform(1, 10))
        finished = started + timedelta(seconds=rng.uniform(20, 400))
        status, category, reason = "completed", None, None
        if rng.random() < 0.15:
            status, category, reason = rng.choice(FAILURES)
        rows.append(
            WorkflowRunModel(
                workflow_id=workflow_id,
                workflow_permanent_id=wpid,
                organization_id=org,
                status=status,
                failure_reason=reason,
                failure_category=[
                    {
                        "category": category,
                        "confidence_float": 0.8,
                        "reasoning": reason,
                        "evidence_source": "keyword_match",
                    }
                ]
                if category
                else None,
                trigger_type="scheduled" if i % 3 == 0 else "api",
                created_at=created,
                modified_at=finished,
                queued_at=created,
                started_at=started,
                finished_at=finished,
            )
        )
    async with db.Session() as session:
        session.add_all(rows)
        await session.commit()
    await db.engine.dispose()
    print(f"seeded {n} runs")


if __name__ == "__main__":
    asyncio.run(main())
