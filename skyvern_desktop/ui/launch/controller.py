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
    from .dialog import LaunchDialog


class LaunchController(FormOwner["LaunchDialog"]):
    """``run_started(run)`` when a launcher has started a run."""

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
        dialog = LaunchDialog(workflow, client, self._tasks, parent=self._window)
        if earlier is not None and earlier.run_request:
            dialog.prefill(earlier.run_request)
        elif earlier_error is not None:
            dialog.show_notice(
                f"The earlier run {rerun_of} could not be read ({earlier_error}), so the form"
                " shows the workflow's defaults."
            )
        if prefill:
            dialog.prefill(prefill)
        dialog.run_started.connect(self.run_started)
        return show_form(dialog, self.forms)
