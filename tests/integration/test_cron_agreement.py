"""``core.cron.check`` against the real server's own cron validation, expression by expression.

For five fields the app's verdict must be the server's: the editor must neither refuse a
schedule the server would take nor let through one it would refuse. Anything else (macros,
six or seven fields) the app refuses by design; the server's verdict is only recorded.
Accepted five-field schedules must also have the next firings the server computes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from skyvern_desktop.api import ServerError, SkyvernClient, ValidationError
from skyvern_desktop.api.models import ScheduleUpsert
from skyvern_desktop.core.schedules import cron
from tests.integration.helpers import WorkflowFactory, wait_block

pytestmark = [pytest.mark.server, pytest.mark.asyncio]
LOG = logging.getLogger(__name__)

# Expressions whose verdict depends on the moment of asking (the server samples 25 hours
# from its "now") are left out: the two verdicts are asked milliseconds apart.
CORPUS: tuple[str, ...] = (
    # valid
    "0 9 * * *",
    "0 9 * * 1-5",
    "*/5 * * * *",
    "*/10 * * * *",
    "0,5 * * * *",
    "30 17 * * 5",
    "0 0 1 * *",
    "0 0 29 2 *",
    "0 */2 * * *",
    "0 9 1,15 * *",
    "0 9 * 1 *",
    "*/60 * * * *",
    "  0   9 * *  1-5 ",
    # odd but valid croniter syntax
    "0-30/10 * * * *",
    "0 9 * JAN MON",
    "0 9 * jan-mar mon-fri",
    "0 9 * * 7",
    "0 9 * * 0-7",
    "0 9 * * 1#2",
    "0 9 * * 1#1,1#3",
    "0 9 L * *",
    "0 9 L 2 *",
    "0 9 * * L5",
    "0 9 ? * MON",
    "0 9 1-31/2 * *",
    "R 9 * * *",
    # too frequent
    "* * * * *",
    "*/4 * * * *",
    "*/7 * * * *",
    "*/59 * * * *",
    "0,4 * * * *",
    "0,59 * * * *",
    "0,5,10,15,20,25,30,35,40,45,50,55,59 * * * *",
    "58,59 23 * * *",
    # syntax errors
    "60 * * * *",
    "0 24 * * *",
    "0 9 0 * *",
    "0 9 32 * *",
    "0 9 * 13 *",
    "0 9 * * 8",
    "0 9 * * MONDAY",
    "0 9 * * 5L",
    "0 9 LW * *",
    "0 9 15W * *",
    "0 9 * * 1#6",
    "H 9 * * *",
    "H/15 * * * *",
    "*/0 * * * *",
    "5-1 * * * *",
    "? 9 * * *",
    "a b c d e",
    # dates that never come
    "0 9 31 2 *",
    "0 9 30 2 *",
    "0 9 31 4,6,9,11 *",
    # not five fields: refused here by design
    "@hourly",
    "@daily",
    "0 9 * * * 0",
    "0 9 * * * *",
    "0 9 * * * 0 2027",
    "0 9 * *",
    "not cron",
    "",
)


@dataclass(frozen=True)
class Verdict:
    expression: str
    five_fields: bool
    ours: bool
    server: bool
    server_said: str

    def row(self) -> str:
        yes_no = {True: "accept", False: "refuse"}
        return (
            f"{self.expression!r:50} ours={yes_no[self.ours]:6} server={yes_no[self.server]:6}"
            f" {self.server_said}"
        )


async def _server_verdict(
    client: SkyvernClient, wpid: str, expression: str
) -> tuple[bool, str, list[datetime] | None, datetime]:
    """(accepted, what the server said, its next runs, the moment just before asking)."""
    body = ScheduleUpsert(cron_expression=expression, timezone="UTC", enabled=False)
    asked = datetime.now(UTC)
    try:
        created = await client.create_schedule(wpid, body)
    except ValidationError as refused:
        return False, f"{refused.status_code}: {refused.server_message}", None, asked
    except ServerError as failed:
        return False, f"{failed.status_code}: {failed.server_message}", None, asked
    await client.delete_schedule(wpid, created.schedule.workflow_schedule_id)
    return True, "2xx", list(created.next_runs), asked


def _same_next_runs(expression: str, server: list[datetime], asked: datetime) -> bool:
    """Our next firings in UTC, from just before or just after the server's "now"."""
    count = len(server)
    before = cron.next_firings(expression, "UTC", count, after=asked)
    after = cron.next_firings(expression, "UTC", count, after=datetime.now(UTC))
    return server in (before, after)


async def test_check_agrees_with_the_server(
    client: SkyvernClient, workflows: WorkflowFactory
) -> None:
    assert len(set(CORPUS)) == len(CORPUS) >= 40
    wpid = await workflows.create("Cron agreement", [], [wait_block(seconds=1)])
    verdicts: list[Verdict] = []
    mismatches: list[str] = []
    for expression in CORPUS:
        accepted, said, next_runs, asked = await _server_verdict(client, wpid, expression)
        five = len(expression.split()) == 5
        verdict = Verdict(expression, five, cron.check(expression) is None, accepted, said)
        verdicts.append(verdict)
        if five and verdict.ours != verdict.server:
            mismatches.append(f"verdict: {verdict.row()} (ours: {cron.check(expression)})")
        if not five and verdict.ours:
            mismatches.append(f"not five fields yet accepted: {verdict.row()}")
        if (
            five
            and accepted
            and next_runs is not None
            and not expression.startswith("R ")  # R picks a random minute on each parse
            and not _same_next_runs(expression, next_runs, asked)
        ):
            mismatches.append(f"next runs: {expression!r} server={next_runs}")
    assert await client.list_workflow_schedules(wpid) == []
    table = "\n".join(v.row() for v in verdicts)
    LOG.info("cron verdicts, ours and the server's:\n%s", table)
    assert {v.server for v in verdicts} == {True, False}
    assert not mismatches, "\n".join([*mismatches, "", table])
