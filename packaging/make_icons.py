"""Render the app icon from its SVG source into every size and format the installers use.

    python packaging/make_icons.py

Writes, next to ``resources/skyvern-desktop.svg``: ``icons/skyvern-desktop-<N>.png`` for the
Linux icon theme sizes, ``skyvern-desktop.ico`` (Windows: 16-256 px in one file) and
``skyvern-desktop.icns`` (macOS: 16-1024 px). Qt draws them (QtSvg, and its ico/icns image
plugins), so no other tool is needed. The outputs are committed; run this after changing
the SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SOURCE = RESOURCES / "skyvern-desktop.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns chunk types holding PNG data, by pixel size (Apple's "ic" types).
ICNS_TYPES = ((16, b"icp4"), (32, b"icp5"), (64, b"icp6"), (128, b"ic07"), (256, b"ic08"),
              (512, b"ic09"), (1024, b"ic10"))  # fmt: skip


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise RuntimeError(f"could not encode a PNG: {writer.errorString()}")
    return bytes(data.data())


def write_ico(path: Path, images: list[QImage]) -> None:
    """A .ico with one PNG-compressed entry per size (Windows Vista and later)."""
    pngs = [png_bytes(i) for i in images]
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for image, blob in zip(images, pngs, strict=True):
        side = image.width()
        entries += struct.pack("<BBBBHHII", side % 256, side % 256, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    path.write_bytes(header + entries + blobs)


def write_icns(path: Path, renderer: QSvgRenderer) -> None:
    chunks = b""
    for size, kind in ICNS_TYPES:
        blob = png_bytes(render(renderer, size))
        chunks += kind + struct.pack(">I", len(blob) + 8) + blob
    path.write_bytes(b"icns" + struct.pack(">I", len(chunks) + 8) + chunks)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"error: {SOURCE} is not a valid SVG", file=sys.stderr)  # noqa: T201
        return 1
    icons = RESOURCES / "icons"
    icons.mkdir(exist_ok=True)
    for size in PNG_SIZES:
        render(renderer, size).save(str(icons / f"skyvern-desktop-{size}.png"))
    write_ico(RESOURCES / "skyvern-desktop.ico", [render(renderer, s) for s in ICO_SIZES])
    write_icns(RESOURCES / "skyvern-desktop.icns", renderer)
    print(f"wrote {len(PNG_SIZES)} PNGs, the .ico and the .icns in {RESOURCES}")  # noqa: T201
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
