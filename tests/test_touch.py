"""Touch sensing on physics states whose answer is known, on both backends (``scripted.TOUCH_CASES``):

* no contact: the open hand high above the object, 0 of 21 sensors;
* the open hand's palm pressed flat on a box (the soda can's top): the palm sensor;
* the oracle's three-finger pinch: 3 to 5, the index, middle and thumb tips among them;
* a fist closed around a lying cylinder (the flashlight) and lifted, a power grasp: at least 7
  (the 30% that opens the pose reward's gate), the palm and a proximal phalanx among them;
  on the mesh flashlight and its primitive stand-in.

And in every case no hand part that touches the object (MuJoCo's own contact list) goes unfelt:
before the sensing fix a lifted power grasp touched with 8 hand geoms and lit 2 sensors.
"""

import numpy as np
import pytest

from dexvip_jax import envs
from dexvip_jax.envs import scene
from dexvip_jax.envs.scripted import TOUCH_CASES, run_touch_cases

SENSOR = {s: i for i, s in enumerate(scene.TOUCH_SITES)}
PROXIMAL = [SENSOR[s] for s in scene.TOUCH_SITES if s.endswith("proximal")]


@pytest.fixture(scope="module", params=["mujoco", "mujoco-primitive", pytest.param("mjx", marks=pytest.mark.slow)])
def cases(request):
    """The cases on the env's default shapes (the flashlight a GRAB mesh, the soda can parts), and
    on MuJoCo C also on the primitives."""
    backend, _, shapes = request.param.partition("-")
    objects = ",".join(dict.fromkeys(TOUCH_CASES.values()))
    return run_touch_cases(envs.load("grasp", backend=backend, objects=objects, shapes=shapes or "mesh"))


def active(case) -> set[str]:
    return {scene.TOUCH_SITES[i] for i in np.flatnonzero(case["touch"])}


def test_no_contact_lights_no_sensor(cases):
    assert not cases["no_contact"]["contact"].any()
    assert cases["no_contact"]["touch"].sum() == 0


def test_a_palm_pressed_on_a_box_lights_the_palm_sensor(cases):
    c = cases["palm_on_box"]
    assert "Tch_palm" in active(c), active(c)
    assert not c["held"]  # the can stands on the table under the palm
    assert not any(s.endswith(("tip", "middle")) for s in active(c))  # the open fingers reach past the can


def test_a_fingertip_pinch_lights_three_to_five_sensors(cases):
    c = cases["pinch"]
    assert c["held"]
    assert 3 <= c["touch"].sum() <= 5, active(c)
    assert {"Tch_fftip", "Tch_mftip", "Tch_thtip"} <= active(c)


def test_a_power_grasp_opens_the_pose_gate_with_palm_and_proximal_sensors(cases):
    c = cases["power"]
    assert c["held"]
    assert c["touch"].sum() >= np.ceil(0.3 * len(scene.TOUCH_SITES)), active(c)
    # the palm: its own sensor on the stand-in's cylinder, the little finger's metacarpal (in the
    # palm) on the thinner mesh flashlight
    assert {"Tch_palm", "Tch_lfmetacarpal"} & active(c) and c["touch"][PROXIMAL].any(), active(c)


@pytest.mark.parametrize("case", list(TOUCH_CASES))
def test_every_hand_part_touching_the_object_is_felt(cases, case):
    c = cases[case]
    felt = (scene.TOUCH_ON_COLLIDER[c["touch"]].sum(0) > 0)  # colliders under an active sensor
    unfelt = [g for g, touching, f in zip(scene.HAND_COLLIDERS, c["contact"], felt) if touching and not f]
    assert not unfelt, unfelt
