"""Touch sensing on the known-answer states of ``scripted.TOUCH_CASES`` (the states
``tests/test_touch.py`` checks), on both backends: which of the 21 sensors are active, and which
hand colliders touch the object by MuJoCo's own contact list.

    python benchmarks/touch_known.py

Writes ``benchmarks/results/touch_known_<device>.json`` and ``benchmarks/results/touch_known.md``
(a per-sensor table: 1 active, . not).
"""

import os
import sys

from dexvip_jax import bench, envs
from dexvip_jax.cli import enable_compilation_cache
from dexvip_jax.envs import scene
from dexvip_jax.envs.scripted import TOUCH_CASES, run_touch_cases
from dexvip_jax.files import write_result, write_text_atomic

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main() -> int:
    enable_compilation_cache(on_cpu=True)
    objects = ",".join(dict.fromkeys(TOUCH_CASES.values()))
    runs = {b: run_touch_cases(envs.load("grasp", backend=b, objects=objects)) for b in ("mujoco", "mjx")}
    result = {"device": bench.device_info(), "cases": {case: {"object": obj} for case, obj in TOUCH_CASES.items()}}
    for case in TOUCH_CASES:
        for backend, run in runs.items():
            c = run[case]
            result["cases"][case][backend] = {
                "active": int(c["touch"].sum()), "held": c["held"],
                "sensors": dict(zip(scene.TOUCH_SITES, c["touch"].astype(int).tolist())),
                "colliders_touching": [g for g, t in zip(scene.HAND_COLLIDERS, c["contact"]) if t]}
    cols = [(case, b) for case in TOUCH_CASES for b in runs]
    lines = ["| sensor | " + " | ".join(f"{case} ({'C' if b == 'mujoco' else 'MJX'})" for case, b in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for s in scene.TOUCH_SITES:
        lines.append(f"| {s[4:]} | " + " | ".join("1" if result["cases"][c][b]["sensors"][s] else "." for c, b in cols) + " |")
    lines.append("| **active** | " + " | ".join(str(result["cases"][c][b]["active"]) for c, b in cols) + " |")
    write_text_atomic(os.path.join(RESULTS, "touch_known.md"),
                      "# Touch sensors on known states (`python benchmarks/touch_known.py`)\n\n"
                      + ", ".join(f"{c}: {o}" for c, o in TOUCH_CASES.items()) + "\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
    print("wrote", write_result(RESULTS, "touch_known", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
