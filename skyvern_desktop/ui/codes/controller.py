"""Opening the "Send a verification code" window: from a run's pane (tied to that run, its
identifier filled in) or from the File menu (any run). One window per run: asking again
brings it forward. A change of connection closes the windows (one that is sending closes
once the server answered)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..dialogs import FormOwner, show_form

if TYPE_CHECKING:
    from .dialog import CodeDialog


class CodesController(FormOwner["CodeDialog"]):
    def request(self, run_id: str | None = None, identifier: str = "") -> CodeDialog | None:
        from .dialog import CodeDialog

        client = self._session.client
        if client is None:  # the menu item is off while not connected
            return None
        for form in self.forms:
            if form.run_id == run_id:
                form.raise_()
                form.activateWindow()
                return form
        dialog = CodeDialog(
            client, self._tasks, run_id=run_id, identifier=identifier, parent=self._window
        )
        return show_form(dialog, self.forms)
