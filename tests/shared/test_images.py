"""shared.data.images: bytes -> grey lines of a fixed height, one code path for files and serving."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from seqsuite.shared.data.images import (
    NOT_IMAGE,
    OK,
    check_image,
    decode_line,
    decode_lines,
    status_text,
    to_png,
)
from seqsuite.shared.errors import DataError


def _line(height=20, width=60):
    """Ink (255) strokes on black, as a uint8 (h, w) array."""
    image = np.zeros((height, width), "uint8")
    image[5:15, 10:14] = 255
    image[5:15, 30:40] = 255
    return image


def _jpeg(array):
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_grey_line_is_resized_to_the_height_keeping_the_aspect_ratio():
    line, width, status = decode_line(to_png(_line()), 32, 200)
    assert int(status) == OK and int(width) == 96  # 60 * 32 / 20
    assert line.shape == (32, 200, 1)
    assert float(tf.reduce_max(line[:, 96:])) == 0.0  # padded with background
    np.testing.assert_allclose(float(tf.reduce_max(line)), 1.0, atol=1e-3)


def test_colour_alpha_jpeg_and_dark_ink_on_light_paper_read_the_same():
    ink = _line()
    reference = decode_line(to_png(ink), 32, 128)[0].numpy()
    rgb = np.repeat(ink[..., None], 3, -1)
    rgba = np.concatenate([rgb, np.full(ink.shape + (1,), 255, "uint8")], -1)
    variants = {"rgb": to_png(rgb), "rgba": to_png(rgba), "paper": to_png(255 - ink),
                "grey_alpha": to_png(np.stack([ink, np.full_like(ink, 255)], -1)),
                "jpeg": _jpeg(255 - ink)}
    for name, contents in variants.items():
        line, width, status = decode_line(contents, 32, 128)
        assert int(status) == OK and int(width) == 96, name
        np.testing.assert_allclose(line.numpy(), reference, atol=0.06, err_msg=name)


def test_wide_lines_are_squeezed_and_a_batch_is_cut_to_its_widest_line():
    lines, widths, status = decode_lines(
        tf.constant([to_png(_line(20, 60)), to_png(_line(10, 1000)), b"not an image"]), 32, 256)
    assert widths.numpy().tolist() == [96, 256, 1] and lines.shape == (3, 32, 256, 1)
    assert status.numpy().tolist() == [OK, OK, NOT_IMAGE]
    assert status_text(status).numpy()[2] == b"not a PNG or JPEG image"
    assert float(tf.reduce_max(lines[2])) == 0.0
    narrow, widths, _ = decode_lines(tf.constant([to_png(_line(20, 10))]), 32, 256)
    assert narrow.shape == (1, 32, 16, 1) and widths.numpy().tolist() == [16]


def test_check_image_gives_one_line_errors(tmp_path, monkeypatch):
    good = tmp_path / "good.png"
    good.write_bytes(to_png(_line()))
    assert check_image(good) == good.read_bytes()
    cases = {"empty.png": (b"", "empty"), "text.png": (b"hello", "not a PNG or JPEG"),
             "cut.png": (to_png(_line())[:40], "damaged")}
    for name, (contents, message) in cases.items():
        (tmp_path / name).write_bytes(contents)
        with pytest.raises(DataError, match=message) as err:
            check_image(tmp_path / name)
        assert "\n" not in str(err.value)
    with pytest.raises(DataError, match="a directory"):
        check_image(tmp_path)
    with pytest.raises(DataError, match="cannot read it"):
        check_image(tmp_path / "gone.png")
    monkeypatch.setattr("seqsuite.shared.data.images.MAX_PIXELS", 100)
    with pytest.raises(DataError, match="more than 100; scale it down"):
        check_image(good)
