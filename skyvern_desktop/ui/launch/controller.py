"""Opening the run launcher: for a workflow, or filled in from an earlier run (Rerun).

Launchers are non-modal, several at a time; each holds the client it was opened with, so a
change of connection closes them (one that is sending closes once the server answered).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal

from ...api.errors import SkyvernError
from ..dialogs import FormOwner, show_form

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse, WorkflowRunRequest
    from .dialog import LaunchDialog


class LaunchController(FormOwner["LaunchDialog"]):
    """Owns starting runs from the launcher: the launcher builds the request, this sends it
    (``start_run``) and says ``run_started(run)`` for the runs owner."""

    run_started = Signal(object)  # RunResponse

    def request(
        self, wpid: str, rerun_of: str | None = None, *, prefill: dict[str, Any] | None = None
    ) -> None:
        """The launcher for ``wpid`` (Run…), filled in from run ``rerun_of`` (Rerun), or
        with some options chosen (``prefill``, e.g. a browser profile)."""
        self._tasks.spawn(
            f"ui.launch.{wpid}", self.open_launcher(wpid, rerun_of=rerun_of, prefill=prefill)
        )

    async def open_launcher(
        self, wpid: str, *, rerun_of: str | None = None, prefill: dict[str, Any] | None = None
    ) -> LaunchDialog | None:
        """Open the run launcher for a workflow (its latest version), optionally filled in
        from an earlier run. Returns ``None`` when not connected or the workflow is gone."""
        from .dialog import LaunchDialog

        client = self._session.client
        if client is None:
            return None
        try:
            workflow = await client.get_workflow(wpid)
        except SkyvernError as exc:
            self._session.note_error(exc)
            self._reporter.report("The run launcher could not open.", exc)
            return None
        earlier_error: SkyvernError | None = None
        earlier = None
        if rerun_of:
            try:
                earlier = await client.get_run(rerun_of)
            except SkyvernError as exc:
                earlier_error = exc
        dialog = LaunchDialog(
            workflow, client, self._tasks, parent=self._window,
            start=lambda request: self.start_run(client, request),
        )  # fmt: skip
        if earlier is not None and earlier.run_request:
            dialog.prefill(earlier.run_request)
        elif earlier_error is not None:
            dialog.show_notice(
                f"The earlier run {rerun_of} could not be read ({earlier_error}), so the form"
                " shows the workflow's defaults."
            )
        if prefill:
            dialog.prefill(prefill)
        return show_form(dialog, self.forms)

    async def start_run(self, client: SkyvernClient, request: WorkflowRunRequest) -> RunResponse:
        """Send one run request (never again by itself: an outcome that is not known is
        raised as such) and say that the run started. The launcher shows the errors."""
        run = await client.run_workflow(request)
        self.run_started.emit(run)
        return run
