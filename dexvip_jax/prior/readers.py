"""Readers of human hand poses: each returns right-hand (n, 21, 3) keypoints in MediaPipe order,
or raises a one-line ConfigError that names the problem and the fix.

* keypoint arrays in JSON (``{"keypoints": [[[x, y, z] * 21] * n], "handedness": [...], "order":
  "mediapipe"|"openpose"}`` or a bare nested list) or NPZ (array ``keypoints``, optional
  ``handedness``); image or world coordinates alike (the prior is invariant to both);
* FrankMocap-style outputs (JSON or pickle-free NPZ/JSON export): per frame
  ``pred_output_list[i]["right_hand"]["pred_joints_img" | "pred_joints_smpl"]`` (21 x 3);
* a folder of images through MediaPipe's Tasks HandLandmarker (the ``images`` extra), with the
  model ``dexvip prior landmarker`` builds at set-up (``landmarker.default_path()``) or ``--model``.
  With this model the Tasks API reports the true handedness of ordinary photos (tested on real
  photos of left and right hands), so labels are taken as they are; ``selfie=True`` swaps them
  for mirrored images (a front camera's preview).

OpenPose hand order equals MediaPipe's (wrist, then thumb to pinky, root to tip). Left hands are
mirrored (x -> -x) by default or dropped with ``left="drop"``.
"""

from __future__ import annotations

import json
import os

import numpy as np

from dexvip_jax.errors import ConfigError
from dexvip_jax.prior import landmarker

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def _check(arr, source: str) -> np.ndarray:
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: keypoints are not numbers; expected an (n, 21, 3) array") from None
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (21, 3):
        raise ConfigError(f"{source}: keypoints have shape {arr.shape}; expected (n, 21, 3) in MediaPipe order")
    if not np.isfinite(arr).all():
        raise ConfigError(f"{source}: keypoints contain NaN or inf; drop those frames")
    if (np.linalg.norm(arr[:, 9] - arr[:, 0], axis=-1) < 1e-9).any():
        raise ConfigError(f"{source}: a pose has its wrist on its middle knuckle (degenerate); drop that frame")
    return arr


def _hands(arr: np.ndarray, handedness, left: str, source: str) -> np.ndarray:
    if handedness is None:
        return arr
    hands = [str(h).lower() for h in np.atleast_1d(handedness)]
    if len(hands) != len(arr) or not set(hands) <= {"left", "right"}:
        raise ConfigError(f"{source}: 'handedness' must give 'left' or 'right' for each of the {len(arr)} poses")
    is_left = np.array([h == "left" for h in hands])
    if left == "drop":
        arr = arr[~is_left]
    elif left == "mirror":
        arr = arr.copy()
        arr[is_left, :, 0] *= -1.0
    else:
        raise ConfigError(f"left={left!r}: use 'mirror' or 'drop'")
    if not len(arr):
        raise ConfigError(f"{source}: no right hands left after dropping left hands; use left='mirror'")
    return arr


def read_keypoints(path: str, left: str = "mirror") -> np.ndarray:
    """JSON or NPZ keypoint arrays, or FrankMocap-style JSON; see the module docstring."""
    if not os.path.exists(path):
        raise ConfigError(f"no such file {path!r}")
    if os.path.isdir(path):
        raise ConfigError(f"{path} is a folder; for images use read_images(folder, model) (dexvip prior build --model)")
    if path.endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as z:
                if "keypoints" not in z:
                    raise ConfigError(f"{path}: no array named 'keypoints' (found: {', '.join(z.files) or 'none'})")
                return _hands(_check(z["keypoints"], path), z["handedness"] if "handedness" in z else None, left, path)
        except (OSError, ValueError) as e:
            raise ConfigError(f"{path}: not a readable .npz ({e})") from None
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{path}: not valid JSON ({type(e).__name__}); expected keypoints as JSON or .npz") from None
    if isinstance(data, dict) and "pred_output_list" in data or isinstance(data, list) and data and isinstance(data[0], dict):
        return _frankmocap(data, path)
    if isinstance(data, dict):
        if data.get("order", "mediapipe") not in ("mediapipe", "openpose"):
            raise ConfigError(f"{path}: unknown keypoint order {data['order']!r}; use 'mediapipe' or 'openpose'")
        if "keypoints" not in data:
            raise ConfigError(f"{path}: no 'keypoints' field; expected {{\"keypoints\": [[[x, y, z] x 21], ...]}}")
        return _hands(_check(data["keypoints"], path), data.get("handedness"), left, path)
    return _check(data, path)


def _frankmocap(data, path: str) -> np.ndarray:
    frames = data if isinstance(data, list) else [data]
    poses = []
    for frame in frames:
        for person in frame.get("pred_output_list", []):
            right = (person or {}).get("right_hand")
            if not right:
                continue
            joints = right.get("pred_joints_img", right.get("pred_joints_smpl"))
            if joints is None:
                raise ConfigError(f"{path}: a right_hand entry has no 'pred_joints_img' or 'pred_joints_smpl' (21 x 3)")
            poses.append(joints)
    if not poses:
        raise ConfigError(f"{path}: no right-hand joints in this FrankMocap output (pred_output_list[*].right_hand)")
    return _check(poses, path)


def detect_images(folder: str, model: str | None = None, selfie: bool = False) -> list[dict]:
    """Every hand MediaPipe finds in each image of ``folder``: ``{"image", "side", "keypoints"}``
    (world landmarks, m, as detected: left hands not yet mirrored)."""
    model = model or landmarker.default_path()
    if not os.path.isfile(model):
        raise ConfigError(f"no hand-landmarker model at {model}; build it with `dexvip prior landmarker` "
                          "(make install does) or pass --model PATH")
    images = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_SUFFIXES)) if os.path.isdir(folder) else []
    if not images:
        raise ConfigError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) found")
    try:
        import mediapipe as mp
        import PIL.Image
    except ImportError:
        raise ConfigError("reading images needs mediapipe: pip install -e '.[images]' (make install does)") from None
    options = mp.tasks.vision.HandLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=model), num_hands=2)
    found = []
    with mp.tasks.vision.HandLandmarker.create_from_options(options) as detector:
        for name in images:
            path = os.path.join(folder, name)
            try:  # Pillow decodes what MediaPipe's own reader does not (WebP)
                with PIL.Image.open(path) as im:
                    pixels = np.asarray(im.convert("RGB"))
            except (OSError, ValueError, PIL.UnidentifiedImageError):
                raise ConfigError(f"{path}: not a readable image; remove or replace it") from None
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels))
            result = detector.detect(image)
            for lm, side in zip(result.hand_world_landmarks, result.handedness):
                label = side[0].category_name.lower()
                found.append({"image": name, "side": {"left": "right", "right": "left"}[label] if selfie else label,
                              "keypoints": [[p.x, p.y, p.z] for p in lm]})
    if not found:
        raise ConfigError(f"{folder}: MediaPipe found no hands in {len(images)} images; use photos where a hand is visible")
    return found


def right_hands(found: list[dict], left: str, source: str) -> np.ndarray:
    """(n, 21, 3) keypoints of ``detect_images``'s hands, left ones mirrored (or dropped), in order."""
    return _hands(_check([f["keypoints"] for f in found], source), [f["side"] for f in found], left, source)


def read_images(folder: str, model: str | None = None, left: str = "mirror", selfie: bool = False) -> np.ndarray:
    """MediaPipe world landmarks of every hand in every image of ``folder``, as right hands."""
    return right_hands(detect_images(folder, model, selfie), left, folder)
