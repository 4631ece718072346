"""The README's main job on a fresh machine: no GL chosen by hand, pipeable output, videos.

These run the installed ``dexvip`` script in subprocesses whose environment has no ``MUJOCO_GL``,
``PYOPENGL_PLATFORM`` or ``DEXVIP_JAX_CACHE``, as on a machine where nothing was set up by hand.
"""

import json
import os
import subprocess
import sys

import pytest

DEXVIP = os.path.join(os.path.dirname(sys.executable), "dexvip")


def fresh_env(**extra) -> dict:
    """This process's environment without a GL or a compilation cache chosen by hand, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM", "DEXVIP_JAX_CACHE")}
    return {**env, **extra}


def run(*argv, env_extra=None):
    return subprocess.run([DEXVIP, *argv], capture_output=True, text=True, env=fresh_env(**(env_extra or {})))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`make train`'s command, the default preset, with a tiny budget."""
    out = str(tmp_path_factory.mktemp("fresh") / "run")
    proc = run("train", "--total-steps", "2048", "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out, proc


def test_make_train_path_trains_and_writes_its_run(trained):
    out, proc = trained
    for name in ("config.json", "metrics.jsonl", "checkpoints", "curve.png"):
        assert os.path.exists(os.path.join(out, name)), name
    rows = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]
    assert rows and rows[-1]["env_steps"] >= 2048
    assert "Traceback" not in proc.stderr and "trained" in proc.stdout


def test_render_replays_an_oracle_demonstration(tmp_path):
    import av

    out, video = str(tmp_path / "oracle"), str(tmp_path / "demo.gif")
    proc = run("oracle", "--objects", "apple", "--episodes", "1", "--backend", "mujoco", "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    demos = os.path.join(out, "demos.npz")
    proc = run("render", "--demos", demos, "--object", "apple", "--out", video)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with av.open(video) as f:
        assert sum(1 for _ in f.decode(f.streams.video[0])) >= 2
    proc = run("render", "--demos", demos, "--object", "mug", "--out", str(tmp_path / "no.gif"))
    assert proc.returncode == 2 and "no demonstration of mug" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not os.path.exists(tmp_path / "no.gif")


@pytest.mark.parametrize("ext", ["gif", "mp4"])
def test_render_writes_a_playable_video_of_the_run(trained, tmp_path, ext):
    import av

    out, _ = trained
    video = str(tmp_path / f"policy.{ext}")
    proc = run("render", "--checkpoint", out, "--object", "mug", "--out", video)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with av.open(video) as f:
        stream = f.streams.video[0]
        frames = sum(1 for _ in f.decode(stream))
        codec = stream.codec_context.name
    assert frames >= 2
    assert codec == ("h264" if ext == "mp4" else "gif")
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


@pytest.mark.parametrize("argv", [
    ["objects", "--json"],
    ["bench", "env", "--json", "--backend", "mujoco", "--num-envs", "2", "--steps", "2", "--objects", "mug",
     "--no-reference"],
])
def test_json_output_is_only_json_and_stderr_is_empty(argv):
    proc = run(*argv)
    assert proc.returncode == 0
    json.loads(proc.stdout)
    assert proc.stderr == ""


def test_commands_that_do_not_draw_never_load_opengl():
    code = ("import sys; from dexvip_jax.cli import main; "
            "rc = main(['bench', 'env', '--json', '--backend', 'mujoco', '--num-envs', '1', '--steps', '1', "
            "'--objects', 'mug', '--no-reference']); "
            "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('OpenGL', 'glfw')), file=sys.stderr)")
    env = fresh_env(MUJOCO_GL="disable")  # as a user may set: respected, and nothing here needs GL
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.stderr.strip() == "0 []"


def test_no_offscreen_gl_is_one_line_and_no_file(trained, tmp_path):
    out, _ = trained
    video = str(tmp_path / "policy.gif")
    code = ("import sys; from dexvip_jax.envs import render; render.gl_works = lambda platform: False; "
            "from dexvip_jax.cli import main; "
            f"sys.exit(main(['render', '--checkpoint', {out!r}, '--object', 'mug', '--out', {video!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=fresh_env())
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "libegl-mesa0" in proc.stderr and os.listdir(tmp_path) == []


def test_a_broken_user_gl_choice_is_one_line():
    proc = run("objects", env_extra={"MUJOCO_GL": "nonsense"})
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "MUJOCO_GL='nonsense'" in proc.stderr
