"""Hand-pose prior: hand model invariances, k-medoids, retargeting round trip, readers' errors."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from dexvip_jax.envs import scene
from dexvip_jax.errors import ConfigError
from dexvip_jax.prior import build, hand, kmedoids, readers, retarget

GENERATE = None


def generator():
    """prior_data/generate.py as a module (its templates and sampler)."""
    global GENERATE
    if GENERATE is None:
        import importlib.util
        import os

        path = os.path.join(os.path.dirname(__file__), "..", "prior_data", "generate.py")
        spec = importlib.util.spec_from_file_location("generate", path)
        GENERATE = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(GENERATE)
    return GENERATE


def test_normalized_pose_ignores_rotation_translation_and_hand_size():
    g = generator()
    rng = np.random.default_rng(0)
    angles = np.array(g.TEMPLATES["wrap"]).reshape(-1)
    a = hand.keypoints(angles)
    b = hand.keypoints(angles, scale=1.2, rotation=g.random_rotation(rng), translation=np.array([0.3, -0.1, 0.5]))
    np.testing.assert_allclose(hand.normalize(a), hand.normalize(b), atol=1e-5)
    other = hand.normalize(hand.keypoints(np.array(g.TEMPLATES["pinch"]).reshape(-1)))
    assert np.abs(hand.normalize(a) - other).max() > 0.1


def test_kmedoids_recovers_separated_clusters_and_picks_k_by_silhouette():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    x = np.concatenate([c + rng.normal(0, 0.3, (n, 2)) for c, n in zip(centres, (12, 8, 5))])
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    c = kmedoids.cluster(d)
    assert len(c.medoids) == 3
    assert sorted(np.bincount(c.labels).tolist()) == [5, 8, 12]
    assert np.linalg.norm(x[c.consensus] - centres[0]) < 1.0  # medoid of the largest cluster
    with pytest.raises(ValueError, match="symmetric"):
        kmedoids.pam(np.array([[0.0, 1.0], [2.0, 0.0]]), 1)
    # Identical items (a motion-capture hold repeats one pose) are one cluster, never an empty second.
    same = kmedoids.cluster(np.zeros((6, 6)))
    assert len(same.medoids) == 1 and np.bincount(same.labels).tolist() == [6]
    # Two groups of identical items: two clusters with every item.
    two = kmedoids.cluster(np.kron(1.0 - np.eye(2), np.ones((3, 3))))
    assert sorted(np.bincount(two.labels).tolist()) == [3, 3]


def test_consensus_recovers_the_template_under_noise_and_distractors():
    g = generator()
    rng = np.random.default_rng(2)
    labels = ["wrap"] * 18 + ["pinch"] * 4 + ["spherical"] * 4
    poses = np.stack([g.sample(t, rng) for t in labels])
    d = build.pose_distances(poses)
    c = kmedoids.cluster(d)
    assert labels[c.consensus] == "wrap"
    clean = hand.normalize(hand.keypoints(np.array(g.TEMPLATES["wrap"]).reshape(-1)))
    err = np.abs(np.asarray(hand.normalize(jnp.asarray(poses[c.consensus]))) - clean).mean()
    assert err < 0.05  # within the noise of the template (hand-size units)


@pytest.fixture(scope="module")
def fk():
    return retarget.AdroitHand()


def test_ik_round_trip_recovers_a_feasible_adroit_pose(fk):
    rng = np.random.default_rng(3)
    lo, hi = np.asarray(fk.lo), np.asarray(fk.hi)
    idx = np.array(retarget.HAND_JOINTS)
    for _ in range(2):
        q = np.zeros(30, np.float32)
        q[idx] = lo[idx] + (hi[idx] - lo[idx]) * rng.uniform(0.15, 0.6, len(idx))
        for j0, j1 in retarget.COUPLED:  # respect the distal-middle tendon coupling
            q[j0] = min(q[j1] * 0.00805 / 0.00705, hi[j0])
        result = retarget.ik(np.asarray(fk.keypoints(jnp.asarray(q))))
        assert result["tip_error_m"].max() < 0.004
        assert np.abs(result["joints"][idx] - q[idx]).max() < 0.15
        assert np.abs(result["joints"][idx] - q[idx]).mean() < 0.04


def test_an_open_flat_hand_retargets_to_near_zero_flexion():
    kp = np.asarray(hand.keypoints(hand.OPEN))
    flexion = list(retarget.FLEXION)
    for method in (retarget.ik, retarget.angles):
        q = method(kp)["joints"]
        assert np.abs(q[flexion]).max() < 0.1, method.__name__
    curled = np.asarray(hand.keypoints(np.array(generator().TEMPLATES["wrap"]).reshape(-1)))
    assert retarget.ik(curled)["joints"][flexion].mean() > 0.5  # and a wrap grasp flexes


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_readers_accept_keypoints_and_frankmocap_and_mirror_left_hands(tmp_path):
    kp = np.asarray(hand.keypoints(hand.OPEN))
    both = readers.read_keypoints(_write(tmp_path, "k.json", {"keypoints": [kp.tolist(), kp.tolist()],
                                                                 "handedness": ["right", "left"]}))
    np.testing.assert_allclose(both[1][:, 0], -kp[:, 0])  # the left hand mirrored
    assert len(readers.read_keypoints(str(tmp_path / "k.json"), left="drop")) == 1
    np.savez(tmp_path / "k.npz", keypoints=np.stack([kp] * 3))
    assert readers.read_keypoints(str(tmp_path / "k.npz")).shape == (3, 21, 3)
    fm = {"pred_output_list": [{"right_hand": {"pred_joints_img": kp.tolist()}, "left_hand": None}]}
    assert readers.read_keypoints(_write(tmp_path, "fm.json", fm)).shape == (1, 21, 3)


@pytest.mark.parametrize("content, message", [
    ({"keypoints": [[[0, 0, 0]] * 20]}, r"shape \(1, 20, 3\); expected \(n, 21, 3\)"),
    ({"points": []}, "no 'keypoints' field"),
    ("{not json", "not valid JSON"),
    ({"keypoints": [[[float("nan")] * 3] * 21]}, "NaN or inf"),
    ({"keypoints": [[[0, 0, 0]] * 21]}, "degenerate"),
    ({"keypoints": [[[1, 2, 3]] * 21], "order": "coco"}, "unknown keypoint order 'coco'"),
    ({"pred_output_list": [{"left_hand": {}}]}, "no right-hand joints"),
])
def test_readers_reject_malformed_files_in_one_line(tmp_path, content, message):
    with pytest.raises(ConfigError, match=message) as e:
        readers.read_keypoints(_write(tmp_path, "bad.json", content))
    assert "\n" not in str(e.value)


def test_missing_inputs_name_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        readers.read_keypoints(str(tmp_path / "nope.json"))
    with pytest.raises(ConfigError, match="no hand-landmarker model at .*; build it with `dexvip prior landmarker`"):
        readers.read_images(str(tmp_path), model=str(tmp_path / "missing.task"))
    with pytest.raises(ConfigError, match="no images"):
        readers.read_images(str(tmp_path))  # the model built at set-up, an empty folder


def test_shipped_synthetic_priors_cover_all_objects_and_say_they_are_synthetic():
    from dexvip_jax import targets
    from dexvip_jax.envs import objects as zoo

    priors = targets.shipped("synthetic")
    assert set(priors) == set(zoo.NAMES)
    for name, p in priors.items():
        assert p["synthetic"] and p["num_poses"] >= 20 and len(p["target_joints"]) == 30
        assert p["consensus_template"] == generator().OBJECT_TEMPLATE[name]  # distractors never win
        assert np.mean(p["fingertip_error_m"]) < 0.02 and max(p["fingertip_error_m"]) < 0.04  # measured: 8-15 mm mean


def test_prior_build_cli_feeds_the_env(tmp_path, capsys):
    from dexvip_jax import envs
    from dexvip_jax.cli import main

    g = generator()
    rng = np.random.default_rng(4)
    poses = [g.sample("tripod", rng).tolist() for _ in range(8)]
    src = _write(tmp_path, "mug_poses.json", {"keypoints": poses})
    out = str(tmp_path / "mug_prior.json")
    assert main(["prior", "build", "--input", src, "--object", "mug", "--out", out]) == 0
    assert "wrote" in capsys.readouterr().out
    built = json.load(open(out))["target_joints"]
    env = envs.load("grasp", backend="mujoco", objects="mug,apple", prior_files=(out,))
    np.testing.assert_allclose(np.asarray(env._targets[0]), built, atol=1e-6)
    assert main(["prior", "build", "--input", src, "--object", "spoon"]) == 2
    assert "unknown object 'spoon'" in capsys.readouterr().err
