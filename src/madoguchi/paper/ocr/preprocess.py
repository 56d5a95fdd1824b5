"""Cleaning a field image before recognition: grey, printed box lines removed, cropped to the ink."""

from __future__ import annotations

import itertools

import numpy as np
from PIL import Image, ImageOps


def to_grey(image: Image.Image) -> np.ndarray:
    """Grey levels; from a colour scan, the red channel, in which the forms' drop-out colour
    (light red boxes, ``layout.BOX_RGB``) all but vanishes while black and blue ink stay dark."""
    if image.mode in ("L", "1"):
        return np.asarray(image.convert("L"), dtype=np.uint8)
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    spread = (rgb.max(axis=2) - rgb.min(axis=2)).mean()
    if spread < 6:  # a grey scan stored as colour
        return np.asarray(ImageOps.grayscale(image.convert("RGB")), dtype=np.uint8)
    return rgb[:, :, 0].astype(np.uint8)


def _ink(grey: np.ndarray, loose: bool = False) -> np.ndarray:
    """Ink as 255 on 0: Otsu's threshold, or (``loose``) anything clearly darker than the paper."""
    import cv2

    if loose:
        paper = float(np.median(grey))
        return np.where(grey < paper - 35, 255, 0).astype(np.uint8)
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def _rotate(img: np.ndarray, angle: float, fill: int) -> np.ndarray:
    import cv2

    h, w = img.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill)


def skew_angle(ink: np.ndarray, limit: float = 4.0) -> float:
    """The rotation (degrees) that makes rows of ink sharpest: the box lines and the text line level."""
    small = ink
    if ink.shape[1] > 500:  # speed: the angle survives shrinking to 500 pixels wide
        import cv2

        factor = 500 / ink.shape[1]
        small = cv2.resize(ink, (500, max(8, int(ink.shape[0] * factor))), interpolation=cv2.INTER_AREA)

    def score(angle):
        rows = _rotate(small, angle, 0).sum(axis=1, dtype=np.float64)
        return float((rows**2).sum())

    best = max(np.arange(-limit, limit + 0.01, 0.5), key=score)
    return float(max(np.arange(best - 0.375, best + 0.38, 0.125), key=score))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, on in enumerate(mask):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def _longest_run(row: np.ndarray) -> int:
    if not row.any():
        return 0
    padded = np.concatenate(([0], row.view(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def remove_box_lines(grey: np.ndarray, *, boxed: bool) -> np.ndarray:
    """Level the field, then white out its printed box outline and the separators between boxes.

    Returns the inside of the box when its outline is found (the crop may include some margin).
    """
    ink = _ink(grey, loose=True)
    if ink.mean() < 0.5:  # blank
        return grey
    angle = skew_angle(ink)
    if abs(angle) > 0.06:
        grey = _rotate(grey, angle, int(np.median(grey)))
        ink = _ink(grey, loose=True)
    h, w = grey.shape
    # A printed line is one unbroken run across most of the width; a row through text is broken
    # between the characters.
    rows = _runs(np.array([_longest_run(r) for r in ink > 0]) > 0.6 * w)
    out = grey.copy()
    paper = int(np.median(grey))
    top, bottom = 0, h
    if len(rows) >= 2 and rows[-1][0] - rows[0][1] > 0.3 * h:
        top, bottom = rows[0][1], rows[-1][0]
    for a, b in rows:
        out[max(0, a - 1) : min(h, b + 1), :] = paper
    band = ink[top:bottom]
    if band.shape[0] > 4:
        col_ink = (band > 0).mean(axis=0)
        cols = _runs(col_ink > 0.78)
        left, right = 0, w
        if len(cols) >= 2 and cols[-1][0] - cols[0][1] > 0.3 * (bottom - top):
            left, right = cols[0][1], cols[-1][0]
        for a, b in cols:
            out[:, max(0, a - 1) : min(w, b + 1)] = paper
        if (top, bottom) != (0, h):
            out = out[top:bottom, left:right] if right - left > 4 else out[top:bottom]
    return out


def crop_to_ink(grey: np.ndarray, *, pad_ratio: float = 0.25, min_ink: int = 6) -> np.ndarray:
    """Crop to the bounding box of the ink (specks ignored), padded with white on every side."""
    import cv2

    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if grey.min() > 160:  # nothing dark: blank field
        return grey
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    boxes = [stats[i] for i in range(1, count) if stats[i][cv2.CC_STAT_AREA] >= min_ink]
    if not boxes:
        return grey
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    crop = grey[y0:y1, x0:x1]
    pad = max(4, int((y1 - y0) * pad_ratio))
    return np.pad(crop, pad, mode="constant", constant_values=255)


def split_words(grey: np.ndarray, pitch: float) -> list[np.ndarray]:
    """A boxed field cut where a whole box was left blank (family and given name in one row of
    boxes; ``pitch`` is the width of a box in pixels): the pieces, each cropped to its ink. One
    piece when there is no such gap (between two written boxes the gap is under one pitch)."""
    ink = _ink(grey) > 0
    if not ink.any():
        return [grey]
    blank = ~ink.any(axis=0)
    cols = np.flatnonzero(~blank)
    cuts = [(a + b) // 2 for a, b in _runs(blank) if a > cols[0] and b <= cols[-1] and b - a > 1.15 * pitch]
    if not cuts:
        return [grey]
    edges = [0, *cuts, grey.shape[1]]
    return [crop_to_ink(grey[:, a:b]) for a, b in itertools.pairwise(edges)]


def squeeze_gaps(grey: np.ndarray, gap_ratio: float = 0.35) -> np.ndarray:
    """Shorten the blank stretches between characters (one per box) to ``gap_ratio`` of the height,
    so that the text reads as one line of ordinary spacing."""
    ink = _ink(grey) > 0
    if not ink.any():
        return grey
    h = grey.shape[0]
    gap = max(4, int(h * gap_ratio))
    blank = ~ink.any(axis=0)
    keep = np.ones(grey.shape[1], dtype=bool)
    for a, b in _runs(blank):
        if b - a > gap:
            middle = (a + b) // 2
            keep[a : middle - gap // 2] = False
            keep[middle - gap // 2 + gap : b] = False
    return grey[:, keep]


def prepare(
    image: Image.Image, *, boxed: bool, target_height: int | None = None, squeeze: bool = False
) -> np.ndarray:
    """Grey, lines removed, cropped to the ink; optionally with the gaps between boxed characters
    shortened, and scaled to ``target_height`` pixels."""
    grey = to_grey(image)
    grey = remove_box_lines(grey, boxed=boxed)
    grey = crop_to_ink(grey)
    if squeeze and boxed:
        grey = squeeze_gaps(grey)
    if target_height and grey.shape[0] != target_height:
        import cv2

        scale = target_height / grey.shape[0]
        width = max(8, round(grey.shape[1] * scale))
        grey = cv2.resize(
            grey, (width, target_height), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        )
    return grey


def is_blank(image: Image.Image) -> bool:
    grey = remove_box_lines(to_grey(image), boxed=True)
    return bool((grey < 128).mean() < 0.002)
