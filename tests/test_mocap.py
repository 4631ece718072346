"""Priors from real motion capture (GRAB via the installed myosuite): grasp-frame rule on known
frames, a right hand in the prior's frame, the shipped mocap priors, and their errors."""

import json
import os

import jax.numpy as jnp
import numpy as np
import pytest

from dexvip_jax import quiet, targets
from dexvip_jax.errors import ConfigError
from dexvip_jax.prior import hand, mocap


@pytest.fixture(scope="module")
def mug_lift():
    """The MyoHand model with GRAB's mug, and the mug 'lift' motion."""
    pkg = mocap.package_dir()
    path = [f for f in mocap.motions("mug", pkg) if f.endswith("MyoHand_mug_lift.npz")][0]
    with np.load(path) as z:
        robot, obj, init = z["robot"], z["object"], z["object_init"]
    return mocap._model(pkg, "mug"), robot, obj, min(float(init[2]), float(obj[:, 2].min()))


def test_grasp_frames_are_lifted_and_touched(mug_lift):
    m, robot, obj, rest = mug_lift
    top = int(np.argmax(obj[:, 2]))  # the mug highest in the air: held
    kp, _ = mocap.grasp_keypoints(m, robot[[top]], obj[[top]], rest, "mug")
    assert len(kp) == 1
    # Resting (frame 0: the mug on the table before the reach) is never a grasp frame.
    assert obj[0, 2] - rest < mocap.LIFT and len(mocap.grasp_keypoints(m, robot[:1], obj[:1], rest, "mug")[0]) == 0
    # Lifted but the hand 30 cm away (someone else holds it): not a grasp frame.
    away = robot[[top]].copy()
    away[:, 1] -= 0.3  # ARTy
    assert len(mocap.grasp_keypoints(m, away, obj[[top]], rest, "mug")[0]) == 0
    # Touched but within LIFT of its rest height: not a grasp frame.
    assert len(mocap.grasp_keypoints(m, robot[[top]], obj[[top]], obj[top, 2] - 0.01, "mug")[0]) == 0
    # Every frame the rule keeps is lifted.
    keep, n = mocap.grasp_keypoints(m, robot, obj, rest, "mug")
    assert n == len(robot) and 0 < len(keep) <= (obj[:, 2] - rest > mocap.LIFT).sum()


def test_mocap_keypoints_are_an_adult_right_hand_grasping(mug_lift):
    kp, _ = mocap.read("mocap:grab", "mug")
    size = np.linalg.norm(kp[:, 9] - kp[:, 0], axis=-1)
    assert 0.06 < size.min() and size.max() < 0.11  # wrist to middle knuckle, m
    n = np.asarray(hand.normalize(jnp.asarray(kp, jnp.float32)))
    # Right hand: the fingers curl towards the palm side (-y of the palm frame); a left hand
    # read as a right one would curl towards +y.
    assert (n[:, list(hand.TIPS[1:]), 1].mean(axis=1) < 0).all()


def test_shipped_mocap_priors_cover_grab_and_the_env_selects_them():
    from dexvip_jax import envs

    mixed, synthetic = targets.shipped("mocap"), targets.shipped("synthetic")
    assert set(mixed) == set(synthetic)
    for name in mocap.OBJECTS:
        p = mixed[name]
        assert p["source"] == "mocap:grab" and p["num_poses"] >= 5 and len(p["target_joints"]) == 30
        assert np.mean(p["fingertip_error_m"]) < 0.03
    assert mixed["door_knob"]["source"] == "synthetic"  # GRAB has no door knob
    assert all(p["source"] == "synthetic" for p in synthetic.values())
    env_m = envs.load("grasp", backend="mujoco", objects="mug,door_knob")
    env_s = envs.load("grasp", backend="mujoco", objects="mug,door_knob", prior_source="synthetic")
    np.testing.assert_allclose(np.asarray(env_m._targets[0]), mixed["mug"]["target_joints"], atol=1e-6)
    np.testing.assert_allclose(np.asarray(env_s._targets[0]), synthetic["mug"]["target_joints"], atol=1e-6)
    np.testing.assert_allclose(np.asarray(env_m._targets[1]), np.asarray(env_s._targets[1]))


def test_prior_build_from_mocap_regenerates_the_shipped_prior(tmp_path, capsys):
    from dexvip_jax.cli import main

    out = str(tmp_path / "mug.json")
    assert main(["prior", "build", "--input", "mocap:grab", "--object", "mug", "--out", out]) == 0
    built = json.load(open(out))
    shipped = targets.shipped("mocap")["mug"]
    assert built["source"] == "mocap:grab" and built["num_poses"] == shipped["num_poses"]
    assert built["motions"] == shipped["motions"]
    np.testing.assert_allclose(built["target_joints"], shipped["target_joints"], atol=2e-3)
    assert "[mocap:grab]" in capsys.readouterr().out


def test_mocap_errors_name_the_fix(monkeypatch, tmp_path):
    from dexvip_jax.cli import main

    with pytest.raises(ConfigError, match="GRAB has no motion capture of 'door_knob'"):
        mocap.read("mocap:grab", "door_knob")
    monkeypatch.setattr(quiet.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="myosuite package, which is not installed; install it with `make install`"):
        mocap.read("mocap:grab", "mug")
    out = tmp_path / "p.json"
    assert main(["prior", "build", "--input", "mocap:grab", "--object", "mug", "--out", str(out)]) == 2
    assert not os.path.exists(out)
