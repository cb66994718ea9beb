"""Offline images: photographs bundled with scikit-image and scikit-learn, and scenes drawn here.

Nothing is downloaded: ``skimage.data`` photos used here ship inside scikit-image's wheel, and
``sklearn.datasets.load_sample_images`` reads the two JPEGs in scikit-learn's wheel.

An offline row's image field is a descriptor:

- ``{"photo": "skimage:chelsea", "view": "flip"}`` — a bundled photo (``skimage:<function>``,
  ``skimage:stereo_motorcycle`` takes the left view, ``sklearn:china.jpg``) under a deterministic
  view: ``full``, ``flip`` (mirror), ``center`` (central 70%), ``rotate`` (12° turn),
  ``left`` / ``right`` (left or right 75% of the width) — the evaluation views — and the
  training views of ``image-classification``'s ``data.train``: ``top`` / ``bottom`` (top or
  bottom 75% of the height), ``zoom`` (central 50%), ``tilt`` (12° turn the other way).
- ``{"scene": {"background": "white", "objects": [{"shape": "circle", "color": "red",
  "count": 3}], "seed": 4}}`` — shapes drawn with PIL on a 256×192 canvas, one shape per cell
  of a 4×3 grid, cells chosen by ``random.Random(seed)``.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from greenbench.errors import GreenbenchError

CANVAS = (256, 192)
CELL = 64
SHAPES = ("circle", "square", "triangle")
VIEWS = ("full", "flip", "center", "rotate", "left", "right", "top", "bottom", "zoom", "tilt")


@lru_cache(maxsize=16)
def _photo(source: str) -> Image.Image:
    kind, _, name = source.partition(":")
    if kind == "skimage":
        import skimage.data

        loader = getattr(skimage.data, name, None)
        if loader is None:
            raise GreenbenchError(f"image photo {source!r}: skimage.data has no {name!r}")
        array = loader()
        if isinstance(array, tuple):  # stereo pairs: take the left view
            array = array[0]
        if array.dtype == bool:
            array = np.where(array, 0, 255).astype(np.uint8)  # silhouette black on white
    elif kind == "sklearn":
        from sklearn.datasets import load_sample_images

        bunch = load_sample_images()
        names = [f.rsplit("/", 1)[-1] for f in bunch.filenames]
        if name not in names:
            raise GreenbenchError(f"image photo {source!r}: scikit-learn ships {names}")
        array = bunch.images[names.index(name)]
    else:
        raise GreenbenchError(f"image photo {source!r}: expected skimage:<name> or sklearn:<file>")
    return Image.fromarray(array).convert("RGB")


def _view(image: Image.Image, view: str) -> Image.Image:
    w, h = image.size
    if view == "full":
        return image.copy()
    if view == "flip":
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if view == "center":
        return image.crop((int(w * 0.15), int(h * 0.15), int(w * 0.85), int(h * 0.85)))
    if view == "rotate":
        return image.rotate(12, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128))
    if view == "left":
        return image.crop((0, 0, int(w * 0.75), h))
    if view == "right":
        return image.crop((int(w * 0.25), 0, w, h))
    if view == "top":
        return image.crop((0, 0, w, int(h * 0.75)))
    if view == "bottom":
        return image.crop((0, int(h * 0.25), w, h))
    if view == "zoom":
        return image.crop((int(w * 0.25), int(h * 0.25), int(w * 0.75), int(h * 0.75)))
    if view == "tilt":
        return image.rotate(-12, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128))
    raise GreenbenchError(f"image view {view!r}: expected one of {', '.join(VIEWS)}")


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, color: str, x: int, y: int) -> None:
    pad = 12
    box = (x + pad, y + pad, x + CELL - pad, y + CELL - pad)
    if shape == "circle":
        draw.ellipse(box, fill=color, outline="black")
    elif shape == "square":
        draw.rectangle(box, fill=color, outline="black")
    elif shape == "triangle":
        points = [
            (x + CELL // 2, y + pad),
            (x + CELL - pad, y + CELL - pad),
            (x + pad, y + CELL - pad),
        ]
        draw.polygon(points, fill=color, outline="black")
    else:
        raise GreenbenchError(f"scene shape {shape!r}: expected one of {', '.join(SHAPES)}")


def draw_scene(scene: dict[str, Any]) -> Image.Image:
    """Draw a scene descriptor (see module docstring) deterministically."""
    image = Image.new("RGB", CANVAS, scene.get("background", "white"))
    draw = ImageDraw.Draw(image)
    cols, rows = CANVAS[0] // CELL, CANVAS[1] // CELL
    items = [(o["shape"], o["color"]) for o in scene["objects"] for _ in range(o.get("count", 1))]
    if len(items) > cols * rows:
        raise GreenbenchError(f"scene has {len(items)} shapes; at most {cols * rows} fit")
    cells = random.Random(scene.get("seed", 0)).sample(range(cols * rows), len(items))
    for (shape, color), cell in zip(items, cells, strict=True):
        _draw_shape(draw, shape, color, (cell % cols) * CELL, (cell // cols) * CELL)
    return image


def load_image(descriptor: Any) -> Image.Image:
    """The image an offline row describes; a PIL image (hub rows) is returned as it is."""
    if isinstance(descriptor, Image.Image):
        return descriptor
    if isinstance(descriptor, dict) and "photo" in descriptor:
        return _view(_photo(descriptor["photo"]), descriptor.get("view", "full"))
    if isinstance(descriptor, dict) and "scene" in descriptor:
        return draw_scene(descriptor["scene"])
    raise GreenbenchError(
        f"image descriptor {descriptor!r}: expected {{'photo': …}} or {{'scene': …}}"
    )
