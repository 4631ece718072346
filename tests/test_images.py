"""The image path on real photos (Debian's gcompris-qt-data, fetched at test time, never
committed): the landmarker model built at set-up, every hand found with its true side, open
hands retargeted open and fists closed, and bad image folders refused with one line."""

import hashlib
import json
import os
import shutil
import zipfile

import numpy as np
import pytest

from dexvip_jax.errors import ConfigError
from dexvip_jax.prior import hand_photos, landmarker, readers

pytestmark = pytest.mark.skipif(shutil.which("apt-get") is None, reason="the photos come from Debian's apt-get")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """(folder, file name -> label, MediaPipe's detections), fetched and detected once."""
    folder = str(tmp_path_factory.mktemp("photos"))
    labels = hand_photos.fetch(folder)
    return folder, labels, readers.detect_images(folder)


def test_set_up_built_the_landmarker_model_deterministically():
    with open(landmarker.default_path(), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == landmarker.TASK_SHA256


def test_a_wheel_whose_networks_differ_is_refused(tmp_path):
    wheel = tmp_path / "mediapipe-0.10.14-fake.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for src, _ in landmarker.MEMBERS.values():
            z.writestr(src, b"not the network")
    out = tmp_path / "model.task"
    with pytest.raises(ConfigError, match="does not have the sha256"):
        landmarker.build(str(out), str(wheel))
    assert not out.exists()


def test_every_photo_is_one_hand_of_its_true_side(photos):
    _, labels, found = photos
    assert len(labels) == 8 and {v["side"] for v in labels.values()} == {"left", "right"}
    assert sorted(f["image"] for f in found) == sorted(labels)  # each photo: exactly one hand
    for f in found:
        assert f["side"] == labels[f["image"]]["side"], f["image"]


def test_open_hands_retarget_open_and_fists_closed(photos):
    from dexvip_jax.prior import retarget

    folder, labels, found = photos
    poses = readers.right_hands(found, "mirror", folder)  # left hands mirrored to right ones, in order
    flexion = list(retarget.FLEXION)
    for f, pose in zip(found, poses):
        bend = float(np.mean(np.asarray(retarget.ik(pose)["joints"])[flexion]))
        # measured: open 0.25-0.36 rad, fists 0.83-1.27 rad
        assert bend < 0.5 if labels[f["image"]]["shape"] == "open" else bend > 0.7, (f["image"], bend)


def test_prior_build_from_photos_needs_no_model_flag(photos, tmp_path, capsys):
    from dexvip_jax.cli import main

    folder, _, _ = photos
    out = tmp_path / "mug.json"
    assert main(["prior", "build", "--input", folder, "--object", "mug", "--out", str(out), "--json"]) == 0
    prior = json.loads(capsys.readouterr().out)
    assert prior["num_poses"] == 8 and json.load(open(out))["target_joints"] == prior["target_joints"]


@pytest.mark.parametrize("bad, phrase", [("blank", "found no hands"), ("corrupt", "not a readable image")])
def test_bad_image_folders_are_one_line_and_write_nothing(bad, phrase, tmp_path, capsys):
    import PIL.Image

    from dexvip_jax.cli import main

    folder = tmp_path / "images"
    folder.mkdir()
    if bad == "blank":
        PIL.Image.new("RGB", (128, 128), (200, 200, 200)).save(folder / "wall.png")
    else:
        (folder / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    out = tmp_path / "p.json"
    assert main(["prior", "build", "--input", str(folder), "--object", "mug", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert phrase in err and len(err.splitlines()) == 1 and not out.exists()
