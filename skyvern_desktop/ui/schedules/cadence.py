"""The "when" part of the schedule editor: a builder for the usual shapes, the raw five
cron fields beside it, both kept in sync, and the verdict as you type."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QTime, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.schedules import cron
from ...core.schedules.cron import SHAPE_LABELS, Builder, Shape
from ..widgets.labels import error_label

# Monday first, the way most calendars outside the US show a week; cron numbers them 0-6
# from Sunday.
_WEEK = (1, 2, 3, 4, 5, 6, 0)


class CadenceEditor(QWidget):
    """``changed(expression)`` on every edit, from the builder or from the raw field."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cadenceEditor")
        self._checked: tuple[str, str | None] | None = None
        self.shape = QComboBox()
        self.shape.setObjectName("cadenceShape")
        self.shape.setAccessibleName("How often")
        for shape, label in SHAPE_LABELS.items():
            self.shape.addItem(label, shape.value)

        # Only steps that divide the hour: "*/45" would run at :00 and :45, not every 45.
        self.every = QComboBox()
        self.every.setObjectName("cadenceEvery")
        self.every.setAccessibleName("Minutes between runs")
        for minutes in cron.EVERY_MINUTES_CHOICES:
            self.every.addItem(f"every {minutes} minutes", minutes)
        self.minute = QSpinBox()
        self.minute.setObjectName("cadenceMinute")
        self.minute.setRange(0, 59)
        self.minute.setPrefix("at minute ")
        self.minute.setAccessibleName("Minute past the hour")
        self.time = QTimeEdit()
        self.time.setObjectName("cadenceTime")
        self.time.setDisplayFormat("HH:mm")
        self.time.setAccessibleName("Time of day")
        self.day_of_month = QSpinBox()
        self.day_of_month.setObjectName("cadenceDayOfMonth")
        self.day_of_month.setRange(1, 31)
        self.day_of_month.setPrefix("on day ")
        self.day_of_month.setAccessibleName("Day of the month")
        self.days: dict[int, QCheckBox] = {}
        days_row = QHBoxLayout()
        days_row.setContentsMargins(0, 0, 0, 0)
        for day in _WEEK:
            box = QCheckBox(cron.DAY_NAMES[day][:3])
            box.setObjectName(f"cadenceDay{day}")
            box.setAccessibleName(cron.DAY_NAMES[day])
            self.days[day] = box
            days_row.addWidget(box)
        days_row.addStretch(1)
        self.days_widget = QWidget()
        self.days_widget.setLayout(days_row)
        self.month_note = QLabel("Months without that day are skipped.")
        self.month_note.setObjectName("cadenceMonthNote")
        self.month_note.setStyleSheet("color: palette(placeholder-text);")
        self.custom_note = QLabel(
            "This schedule has a form the builder cannot show; edit its five fields below."
        )
        self.custom_note.setObjectName("cadenceCustomNote")
        self.custom_note.setWordWrap(True)
        self.custom_note.setStyleSheet("color: palette(placeholder-text);")

        builder = QWidget()
        row = QHBoxLayout(builder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.shape)
        for widget in (self.every, self.minute, self.day_of_month, self.time):
            row.addWidget(widget)
        row.addStretch(1)

        self.raw = QLineEdit()
        self.raw.setObjectName("cadenceRaw")
        self.raw.setAccessibleName("Cron expression")
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.raw.setPlaceholderText("minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5")
        self.raw.setToolTip(
            "Five cron fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12),"
            " day of week (0-6, Sunday = 0). * means every; 1-5 a range; */15 every 15th."
        )
        self.error = error_label("cadenceError")

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Repeat", builder)
        self.days_label = QLabel("On")
        form.addRow(self.days_label, self.days_widget)
        form.addRow("", self.month_note)
        form.addRow("", self.custom_note)
        form.addRow("Cron", self.raw)
        form.addRow("", self.error)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        self._form = form

        self.shape.currentIndexChanged.connect(self._builder_edited)
        self.every.currentIndexChanged.connect(self._builder_edited)
        for spin in (self.minute, self.day_of_month):
            spin.valueChanged.connect(self._builder_edited)
        self.time.timeChanged.connect(self._builder_edited)
        for box in self.days.values():
            box.toggled.connect(self._builder_edited)
        self.raw.textEdited.connect(self._raw_edited)
        self.set_expression("0 9 * * 1-5")

    # ------------------------------------------------------------------ state

    def expression(self) -> str:
        return cron.normalize(self.raw.text())

    def current_shape(self) -> Shape:
        return Shape(self.shape.currentData())

    def set_expression(self, expression: str) -> None:
        """Show ``expression`` in the raw field, and in the builder when it fits one."""
        self.raw.setText(expression)
        self._show_builder(cron.parse(expression))
        self._verdict()

    def problem(self) -> str | None:
        """What is wrong with the expression, worked out once per text: the verdict, the
        preview and Save all ask, and a check can sample a day of firings."""
        expression = self.expression()
        if self._checked is None or self._checked[0] != expression:
            self._checked = (expression, cron.check(expression))
        return self._checked[1]

    def show_problem(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # ------------------------------------------------------------------ sync

    def _builder(self) -> Builder:
        time = self.time.time()
        return Builder(
            self.current_shape(),
            minutes=int(self.every.currentData() or cron.EVERY_MINUTES_CHOICES[0]),
            minute=self.minute.value() if self.current_shape() is Shape.HOURLY else time.minute(),
            hour=time.hour(),
            days=frozenset(d for d, box in self.days.items() if box.isChecked()),
            day_of_month=self.day_of_month.value(),
        )

    def _show_builder(self, builder: Builder) -> None:
        widgets = (self.shape, self.every, self.minute, self.time, self.day_of_month)
        blockers = [QSignalBlocker(w) for w in (*widgets, *self.days.values())]
        self.shape.setCurrentIndex(self.shape.findData(builder.shape.value))
        if builder.shape is not Shape.CUSTOM:
            self.every.setCurrentIndex(max(0, self.every.findData(builder.minutes)))
            self.minute.setValue(builder.minute)
            self.time.setTime(QTime(builder.hour, builder.minute))
            self.day_of_month.setValue(builder.day_of_month)
            days = builder.days if builder.shape is Shape.WEEKLY else frozenset()
            for day, box in self.days.items():
                box.setChecked(day in days)
        del blockers
        self._show_fields(builder.shape)

    def _show_fields(self, shape: Shape) -> None:
        self.every.setVisible(shape is Shape.EVERY_MINUTES)
        self.minute.setVisible(shape is Shape.HOURLY)
        self.time.setVisible(shape in (Shape.DAILY, Shape.WEEKDAYS, Shape.WEEKLY, Shape.MONTHLY))
        self.day_of_month.setVisible(shape is Shape.MONTHLY)
        self.month_note.setVisible(shape is Shape.MONTHLY and self.day_of_month.value() > 28)
        self.days_widget.setVisible(shape is Shape.WEEKLY)
        self.days_label.setVisible(shape is Shape.WEEKLY)
        self.custom_note.setVisible(shape is Shape.CUSTOM)

    def _builder_edited(self) -> None:
        shape = self.current_shape()
        if shape is Shape.WEEKLY and not any(b.isChecked() for b in self.days.values()):
            # Switching to "weekly" starts from the day the raw field had, or Monday.
            current = cron.parse(self.expression())
            wanted = current.days if current.shape in (Shape.WEEKLY, Shape.WEEKDAYS) else {1}
            for day, box in self.days.items():
                with QSignalBlocker(box):
                    box.setChecked(day in wanted)
        self._show_fields(shape)
        expression = self._builder().to_cron()
        if expression is None:  # Custom: the raw field keeps what it has
            self.raw.setFocus()
        elif expression != self.expression():
            self.raw.setText(expression)
        self._verdict()

    def _raw_edited(self, _text: str) -> None:
        parsed = cron.parse(self.expression())
        self._show_builder(parsed)
        self._verdict()

    def _verdict(self) -> None:
        problem = self.problem()
        self.show_problem(problem or "")
        self.raw.setProperty("invalid", bool(problem))
        self.raw.setStyleSheet("QLineEdit { border: 1px solid #cf222e; }" if problem else "")
        self.changed.emit(self.expression())
