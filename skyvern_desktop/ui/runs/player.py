"""A run pane's recording, played in the pane: play and pause, a seek bar, the time,
speeds 1×, 2× and 4×, and Save….

Qt Multimedia (FFmpeg inside the PySide6 wheel) decodes the video. Its frames come
through a ``QVideoSink`` and are painted by our own :class:`~.live.FrameView`, not by a
``QVideoWidget``: that one draws on a native surface which a screenshot (``grab()``, the
app's ``--screenshot``) sees as an empty grey box, and which the offscreen platform
never paints. Qt Multimedia is loaded when the first recording is played, not before.

Only a final recording plays: while a run is going, or shortly after it, the server is
still writing a ``.webm`` that it turns into an ``.mp4``; the tab says so instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLoggingCategory, Qt, QUrl
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..widgets.frames import FrameView

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink

log = logging.getLogger(__name__)

SPEEDS = (1.0, 2.0, 4.0)


def clock(ms: int) -> str:
    seconds = max(0, ms) // 1000
    minutes, seconds = divmod(seconds, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


class RecordingPlayer(QWidget):
    """``playable(url)`` says where the player may read a recording (``None``: not from
    here); ``save()`` asks where to save it."""

    def __init__(
        self,
        playable: Callable[[str], str | None],
        save: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runPlayer")
        self._playable = playable
        self.view = FrameView("runPlayerView")
        self.view.set_text("The recording plays here once the run has ended.")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("runPlayerPlay")
        self.play_button.setEnabled(False)
        self.play_button.clicked.connect(self.toggle)
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setObjectName("runPlayerSeek")
        self.seek.setEnabled(False)
        self.seek.sliderMoved.connect(self._seek_to)
        self.seek.sliderReleased.connect(lambda: self._seek_to(self.seek.value()))
        self.seek.actionTriggered.connect(self._seek_action)
        self.time = QLabel("0:00 / 0:00")
        self.time.setObjectName("runPlayerTime")
        self.speed = QComboBox()
        self.speed.setObjectName("runPlayerSpeed")
        for rate in SPEEDS:
            self.speed.addItem(f"{rate:g}×", rate)
        self.speed.setToolTip("Playback speed")
        self.speed.currentIndexChanged.connect(self._set_rate)
        self.note = QLabel("No recording yet.")
        self.note.setObjectName("runRecording")
        self.note.setWordWrap(True)
        self.save = QPushButton("Save recording…")
        self.save.setObjectName("runSaveRecording")
        self.save.setEnabled(False)
        self.save.clicked.connect(save)

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.seek, 1)
        controls.addWidget(self.time)
        controls.addWidget(self.speed)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)
        layout.addLayout(bottom)

        self.player: QMediaPlayer | None = None
        self._sink: QVideoSink | None = None
        self.source: str | None = None  # what is loaded
        self.error = ""

    # ------------------------------------------------------------------ what to play

    def describe(self, url: str | None, *, final: bool, ended: bool) -> None:
        """Say where the recording stands, without loading it."""
        self.save.setEnabled(bool(url))
        if self.source is not None and url is not None and self._playable(url) == self.source:
            return  # loaded: the player's own words stand
        if url is None:
            waiting = "The recording appears here when the run has ended."
            self.note.setText("This run has no recording." if ended else waiting)
        elif not final:
            self.note.setText(
                "The recording is still being written by the server: it plays here once it is"
                " finished."
            )
        else:
            self.note.setText("The recording is ready.")
        self.view.set_text(self.note.text())

    def offer(self, url: str | None, *, final: bool, ended: bool) -> None:
        """The tab is shown: load ``url`` when it is the final recording."""
        self.describe(url, final=final, ended=ended)
        if url is None or not final:
            return
        target = self._playable(url)
        if target is None:
            self.note.setText(
                "The recording is on the server's computer and cannot be played from here."
            )
            self.view.set_text(self.note.text())
            return
        if target != self.source:
            self.load(target)

    def load(self, target: str) -> None:
        player = self._ensure_player()
        self.source = target
        self.error = ""
        if not player.isAvailable():
            self.note.setText("Video playback is not available on this computer.")
            self.view.set_text(self.note.text())
            return
        self.note.setText("Loading the recording…")
        player.setSource(QUrl())  # the same address again would be ignored
        player.setSource(QUrl(target))

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
            self.player.setSource(QUrl())
        self.source = None

    # ------------------------------------------------------------------ the player

    def _ensure_player(self) -> QMediaPlayer:
        if self.player is not None:
            return self.player
        # FFmpeg's and the backend's chatter (a banner, a dump of each file) stays out of
        # the person's terminal and log.
        QLoggingCategory.setFilterRules("qt.multimedia*=false")
        from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

        player = QMediaPlayer(self)
        sink = QVideoSink(self)
        player.setVideoSink(sink)
        sink.videoFrameChanged.connect(self._frame)
        player.durationChanged.connect(self._duration)
        player.positionChanged.connect(self._position)
        player.playbackStateChanged.connect(self._state)
        player.mediaStatusChanged.connect(self._status)
        player.errorOccurred.connect(self._error)
        player.setPlaybackRate(float(self.speed.currentData()))
        self.player, self._sink = player, sink
        return player

    def _frame(self, frame: QVideoFrame) -> None:
        if frame.isValid():  # the end and stop() send an empty frame: keep the last picture
            self.view.set_image(frame.toImage())

    def _duration(self, ms: int) -> None:
        self.seek.setRange(0, max(0, ms))
        self._show_time()

    def _position(self, ms: int) -> None:
        if not self.seek.isSliderDown():
            self.seek.blockSignals(True)
            self.seek.setValue(ms)
            self.seek.blockSignals(False)
        self._show_time()

    def _show_time(self) -> None:
        player = self.player
        if player is not None:
            self.time.setText(f"{clock(player.position())} / {clock(player.duration())}")

    def _state(self, state: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setText("Pause" if playing else "Play")

    def _status(self, status: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        player = self.player
        if player is None:
            return
        if status == QMediaPlayer.MediaStatus.LoadedMedia:
            self.play_button.setEnabled(True)
            self.seek.setEnabled(player.isSeekable())
            self.note.setText("The run's recording.")
            if player.playbackState() == QMediaPlayer.PlaybackState.StoppedState:
                player.pause()  # shows the first picture
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self.play_button.setEnabled(False)
            self.seek.setEnabled(False)

    def _error(self, _error: Any, message: str) -> None:
        self.error = message or "unknown error"
        log.info("recording %s: %s", self.source, self.error)
        self.note.setText(f"The recording cannot be played: {self.error}. Save it to keep it.")
        self.view.set_text(self.note.text())

    # ------------------------------------------------------------------ controls

    def toggle(self) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        player = self.player
        if player is None:
            return
        if player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            player.pause()
        else:
            player.play()

    def _seek_to(self, ms: int) -> None:
        if self.player is not None:
            self.player.setPosition(ms)

    def _seek_action(self, _action: int) -> None:
        # A click on the groove or a key moves the handle: follow it.
        if not self.seek.isSliderDown():
            self._seek_to(self.seek.sliderPosition())

    def _set_rate(self, _index: int) -> None:
        if self.player is not None:
            self.player.setPlaybackRate(float(self.speed.currentData()))
