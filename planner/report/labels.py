"""Greedy label placement: labels that do not pile on top of each other or on the markers.

Why own code (not adjustText): a few dozen labels need only a deterministic greedy search over
candidate positions around each anchor, scored in display pixels by overlap with labels already
placed, with markers and with the axes edge. Labels pushed to an outer ring get a leader line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patheffects import withStroke
from matplotlib.text import Annotation, Text

from planner.report import style

#: Directions tried around an anchor, best-looking first (right, left, above, below, diagonals,
#: then the eight directions in between).
_DIRS = np.array(
    [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]
    + [(np.cos(a), np.sin(a)) for a in np.radians(np.arange(22.5, 360, 45))],
    dtype=float,
)
#: Distances tried, in label heights beyond the marker (the first ring touches the marker).
_RINGS = (0.0, 1.2, 2.4, 3.6, 5.0, 6.5, 8.0)


@dataclass(frozen=True)
class Label:
    x: float  # anchor, data coordinates
    y: float
    text: str
    radius_px: float = 4.0  # the marker's radius: the label starts outside it
    fontsize: float = 8.5
    weight: str = "bold"
    color: str = style.INK
    #: drop the label rather than let it overlap another one (secondary annotations)
    optional: bool = False


def _overlap(box: np.ndarray, boxes: np.ndarray) -> float:
    """Total overlap area (px^2) between one box (x0, y0, x1, y1) and many."""
    if len(boxes) == 0:
        return 0.0
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))


def _box_at(ax_px: np.ndarray, d: np.ndarray, r: float, w: float, h: float) -> np.ndarray:
    """Box of size w x h whose nearest edge is ``r`` px from the anchor in direction ``d``."""
    cx = ax_px[0] + d[0] * (r + w / 2)
    cy = ax_px[1] + d[1] * (r + h / 2)
    if d[0] == 0:
        cx = ax_px[0]
    if d[1] == 0:
        cy = ax_px[1]
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def place_labels(ax: Axes, labels: Sequence[Label], pad_px: float = 2.0) -> list[Annotation]:
    """Draw ``labels`` (in priority order) where they overlap least; returns the artists.

    Call after the axes limits are final: positions are computed in display pixels.
    """
    if not labels:
        return []
    renderer = ax.figure.canvas.get_renderer()
    anchors = ax.transData.transform(np.array([[lb.x, lb.y] for lb in labels], dtype=float))
    ab = ax.get_window_extent(renderer)
    frame = np.array([ab.x0, ab.y0, ab.x1, ab.y1])
    # markers are obstacles too: squares of their radius
    rad = np.array([lb.radius_px for lb in labels])
    markers = np.column_stack([anchors - rad[:, None], anchors + rad[:, None]])
    placed: list[np.ndarray] = []
    artists: list[Annotation] = []
    for i, lb in enumerate(labels):
        size = _text_size_px(ax, renderer, lb, pad_px)
        placed_arr = np.array(placed) if placed else np.zeros((0, 4))
        obstacles = (placed_arr, np.delete(markers, i, axis=0), frame)
        best, best_ring, best_overlap = _best_box(lb, anchors[i], size, obstacles)
        if lb.optional and best_overlap > 0.0:
            continue
        placed.append(best)
        artists.append(_draw_label(ax, lb, best, leader=best_ring > 1))
    return artists


def _text_size_px(ax: Axes, renderer, lb: Label, pad_px: float) -> tuple[float, float]:
    """Width and height of the label's text in display pixels, padded."""
    t = ax.text(0, 0, lb.text, fontsize=lb.fontsize, fontweight=lb.weight)
    bb = t.get_window_extent(renderer)
    t.remove()
    return bb.width + 2 * pad_px, bb.height + 2 * pad_px


def _best_box(
    lb: Label, anchor: np.ndarray, size: tuple[float, float], obstacles: tuple
) -> tuple[np.ndarray, int, float]:
    """The candidate box of least cost around ``anchor``: (box, ring, overlap with labels).

    Cost: overlap with placed labels, then other markers, outside the frame, distance (ring),
    direction order. Rings are searched outwards until one has a free spot.
    """
    placed_arr, others, frame = obstacles
    w, h = size
    best, best_cost, best_ring, best_overlap = None, np.inf, 0, 0.0
    rings = _RINGS[:3] if lb.optional else _RINGS
    for k, ring in enumerate(rings):
        r = lb.radius_px + 2.0 + ring * max(h, 10.0)
        for j, d in enumerate(_DIRS):
            box = _box_at(anchor, d / np.hypot(*d), r, w, h)
            outside = (
                max(0.0, frame[0] - box[0])
                + max(0.0, box[2] - frame[2])
                + max(0.0, frame[1] - box[1])
                + max(0.0, box[3] - frame[3])
            )
            hit = _overlap(box, placed_arr)
            cost = (
                10.0 * hit
                + 4.0 * _overlap(box, others)
                + 50.0 * outside * h
                + 0.6 * k * w * h
                + 0.5 * j
            )
            if cost < best_cost - 1e-9:
                best, best_cost, best_ring, best_overlap = box, cost, k, hit
        if best_cost < 20.0 and best_ring == k:
            break  # a free spot on this ring: do not look further out
    return best, best_ring, best_overlap


def _draw_label(ax: Axes, lb: Label, box: np.ndarray, *, leader: bool) -> Annotation:
    """The label centred in ``box`` (pixels), haloed; a leader line when placed far out."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    tx, ty = ax.transData.inverted().transform((cx, cy))
    arrow = {"arrowstyle": "-", "color": style.MUTED, "lw": 0.6, "shrinkA": 0, "shrinkB": 2}
    return ax.annotate(
        lb.text,
        xy=(lb.x, lb.y),
        xytext=(tx, ty),
        textcoords="data",
        ha="center",
        va="center",
        fontsize=lb.fontsize,
        fontweight=lb.weight,
        color=lb.color,
        arrowprops=arrow if leader else None,
        path_effects=[withStroke(linewidth=2.6, foreground="white")],
        zorder=6,
        annotation_clip=False,
    )


def label_boxes_px(artists: Sequence[Annotation]) -> np.ndarray:
    """Display-pixel boxes (x0, y0, x1, y1) of placed labels (tests check they do not overlap)."""
    if not artists:
        return np.zeros((0, 4))
    renderer = artists[0].figure.canvas.get_renderer()
    out = []
    for a in artists:
        a.update_positions(renderer)
        bb = Text.get_window_extent(a, renderer)  # the text only, without its leader line
        out.append([bb.x0, bb.y0, bb.x1, bb.y1])
    return np.array(out)
